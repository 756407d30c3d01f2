// Objectworld (Levine, Popovic and Koltun 2011, "Nonlinear inverse reinforcement learning with
// Gaussian processes"): the standard benchmark of feature-based inverse RL.
#pragma once

#include <cstdint>
#include <vector>

#include "cai/mdp/features.h"
#include "cai/mdp/mdp.h"

namespace cai {

struct ObjectworldOptions {
  int size = 32;         ///< the grid is size x size cells
  int num_objects = 64;  ///< objects on distinct random cells
  int num_colours = 2;   ///< colours 0..C-1 for both the inner and the outer colour; C >= 2
  /// The intended action happens with this probability; otherwise one of the other four actions,
  /// uniformly (a move into the wall stays in place).
  double move_success = 0.7;
  bool continuous_features = true;  ///< distance to the nearest object of each colour
  bool discrete_features = true;    ///< [that distance <= d] for d = 1..size
  std::uint64_t seed = 0;
};

/// Throws cai::Error naming the field and value (size 1..2000, num_objects 1..size^2,
/// num_colours 2..64, move_success in [0, 1], at least one feature family).
void ValidateObjectworldOptions(const ObjectworldOptions& options);

struct ObjectworldObject {
  int x = 0;
  int y = 0;
  int inner_colour = 0;
  int outer_colour = 0;
};

/// The problem and its features. Actions are up, down, left, right, stay (state = y * size + x,
/// y = 0 the top row); no action ends the episode; the initial distribution is uniform.
/// Distances are Euclidean between cell centres. The reward of every action in a cell is
///   +1 if an object of outer colour 0 is within distance 3 and one of outer colour 1 within 2,
///   -1 if an object of outer colour 0 is within distance 3 but none of outer colour 1 within 2,
///    0 otherwise.
/// State features, in this order: (continuous) the distance to the nearest object of outer colour
/// c for each c, then of inner colour c for each c; (discrete) for each outer colour c and
/// d = 1..size the indicator [distance to the nearest outer-c object <= d], then the same for the
/// inner colours. A colour that no object has counts as at distance 2 * size (beyond the grid).
/// The reward is not linear in these features: linear IRL recovers it only approximately.
struct Objectworld {
  Mdp mdp;
  FeatureTable features;
  std::vector<ObjectworldObject> objects;
};

Objectworld MakeObjectworld(const ObjectworldOptions& options);

}  // namespace cai
