// Drawing a gridworld's value function and policy as an SVG picture.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "cai/mdp/mdp.h"

namespace cai {

/// An SVG document: a heat map of `values` (size S) over the MDP's grid with, in every cell whose
/// actions do not all end the episode, one arrow per action whose length is pi(a|s) (`policy` is
/// S x A). Requires a GridLayout and the actions up, down, left, right (as MakeGridworld builds);
/// throws cai::Error otherwise. `title` is printed above the grid.
std::string GridworldSvg(const Mdp& mdp, std::span<const double> values,
                         std::span<const double> policy, const std::string& title);

/// One heat map of GridHeatmapsSvg: a title and one value per cell (state y * width + x).
struct HeatmapPanel {
  std::string title;
  std::vector<double> values;
};

/// An SVG document with the panels side by side, each coloured on its own scale (min to max,
/// shown in its legend), e.g. the true and the learned reward of inverse RL. Throws cai::Error
/// when a panel's size is not width x height or the grid is larger than 200 x 200.
std::string GridHeatmapsSvg(const GridLayout& grid, std::span<const HeatmapPanel> panels,
                            const std::string& title);

}  // namespace cai
