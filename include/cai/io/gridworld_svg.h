// Drawing a gridworld's value function and policy as an SVG picture.
#pragma once

#include <span>
#include <string>

#include "cai/mdp/mdp.h"

namespace cai {

/// An SVG document: a heat map of `values` (size S) over the MDP's grid with, in every cell whose
/// actions do not all end the episode, one arrow per action whose length is pi(a|s) (`policy` is
/// S x A). Requires a GridLayout and the actions up, down, left, right (as MakeGridworld builds);
/// throws cai::Error otherwise. `title` is printed above the grid.
std::string GridworldSvg(const Mdp& mdp, std::span<const double> values,
                         std::span<const double> policy, const std::string& title);

}  // namespace cai
