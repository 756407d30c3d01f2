#include "cai/mdp/objectworld.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "cai/core/error.h"
#include "cai/core/rng.h"

namespace cai {

void ValidateObjectworldOptions(const ObjectworldOptions& o) {
  if (o.size < 1 || o.size > 2000) {
    throw Error(fmt::format("objectworld: size {} is invalid (expected 1 to 2000)", o.size));
  }
  if (o.num_objects < 1 || o.num_objects > o.size * o.size) {
    throw Error(fmt::format("objectworld: num_objects {} is invalid (expected 1 to size^2 = {})",
                            o.num_objects, o.size * o.size));
  }
  if (o.num_colours < 2 || o.num_colours > 64) {
    throw Error(fmt::format("objectworld: num_colours {} is invalid (expected 2 to 64)",
                            o.num_colours));
  }
  if (!(o.move_success >= 0.0 && o.move_success <= 1.0)) {
    throw Error(fmt::format("objectworld: move_success {} is invalid (expected a probability in "
                            "[0, 1])", o.move_success));
  }
  if (!o.continuous_features && !o.discrete_features) {
    throw Error("objectworld: continuous_features and discrete_features are both off (expected at "
                "least one feature family)");
  }
  if (o.discrete_features &&
      static_cast<double>(o.size) * o.size * 4.0 * o.num_colours * o.size > 2e8) {
    throw Error(fmt::format("objectworld: discrete_features with size {} needs {} x {} values "
                            "(too many; set discrete_features=0)", o.size, o.size * o.size,
                            4 * o.num_colours * o.size));
  }
}

Objectworld MakeObjectworld(const ObjectworldOptions& o) {
  ValidateObjectworldOptions(o);
  const int n = o.size;
  const int num_states = n * n;
  const int kActions = 5;
  Rng rng(o.seed);

  std::vector<ObjectworldObject> objects;
  std::vector<char> taken(static_cast<std::size_t>(num_states), 0);
  while (static_cast<int>(objects.size()) < o.num_objects) {
    const int cell = static_cast<int>(rng.UniformInt(static_cast<std::uint64_t>(num_states)));
    if (taken[static_cast<std::size_t>(cell)]) continue;
    taken[static_cast<std::size_t>(cell)] = 1;
    ObjectworldObject obj;
    obj.x = cell % n;
    obj.y = cell / n;
    obj.inner_colour = static_cast<int>(rng.UniformInt(static_cast<std::uint64_t>(o.num_colours)));
    obj.outer_colour = static_cast<int>(rng.UniformInt(static_cast<std::uint64_t>(o.num_colours)));
    objects.push_back(obj);
  }

  // Nearest distance per state: columns 0..C-1 outer colours, C..2C-1 inner colours.
  const int c = o.num_colours;
  const auto nd = static_cast<std::size_t>(2 * c);
  const double far = 2.0 * n;
  std::vector<double> nearest(static_cast<std::size_t>(num_states) * nd, far);
  for (int s = 0; s < num_states; ++s) {
    const int x = s % n;
    const int y = s / n;
    double* row = nearest.data() + static_cast<std::size_t>(s) * nd;
    for (const auto& obj : objects) {
      const double d = std::hypot(static_cast<double>(x - obj.x), static_cast<double>(y - obj.y));
      row[obj.outer_colour] = std::min(row[obj.outer_colour], d);
      row[c + obj.inner_colour] = std::min(row[c + obj.inner_colour], d);
    }
  }

  MdpSpec spec;
  spec.num_states = num_states;
  spec.num_actions = kActions;
  spec.action_names = {"up", "down", "left", "right", "stay"};
  spec.grid = GridLayout{n, n};
  spec.rewards.resize(static_cast<std::size_t>(num_states));
  for (int s = 0; s < num_states; ++s) {
    const double* row = nearest.data() + static_cast<std::size_t>(s) * nd;
    const bool near0 = row[0] <= 3.0;
    const bool near1 = row[1] <= 2.0;
    const double r = near0 ? (near1 ? 1.0 : -1.0) : 0.0;
    spec.rewards[static_cast<std::size_t>(s)].assign(kActions, r);
  }
  const int dx[kActions] = {0, 0, -1, 1, 0};
  const int dy[kActions] = {-1, 1, 0, 0, 0};
  const double fail = (1.0 - o.move_success) / (kActions - 1);
  spec.transitions.reserve(static_cast<std::size_t>(num_states) * kActions);
  for (int s = 0; s < num_states; ++s) {
    const int x = s % n;
    const int y = s / n;
    int dest[kActions];
    for (int b = 0; b < kActions; ++b) {
      const int nx = x + dx[b];
      const int ny = y + dy[b];
      dest[b] = (nx < 0 || nx >= n || ny < 0 || ny >= n) ? s : ny * n + nx;
    }
    for (int a = 0; a < kActions; ++a) {
      TransitionSpec t{s, a, {}};
      for (int b = 0; b < kActions; ++b) {
        const double p = b == a ? o.move_success : fail;
        if (p == 0.0) continue;
        auto it = std::find_if(t.next.begin(), t.next.end(),
                               [&](const auto& e) { return e.first == dest[b]; });
        if (it == t.next.end()) {
          t.next.emplace_back(dest[b], p);
        } else {
          it->second += p;
        }
      }
      spec.transitions.push_back(std::move(t));
    }
  }
  spec.initial.reserve(static_cast<std::size_t>(num_states));
  for (int s = 0; s < num_states; ++s) spec.initial.emplace_back(s, 1.0 / num_states);
  Objectworld world{Mdp::FromSpec(spec), FeatureTable{}, std::move(objects)};
  spec = MdpSpec{};  // free the spec before the feature table grows

  FeatureTable& f = world.features;
  f.kind = FeatureKind::kState;
  f.num_states = num_states;
  f.num_actions = kActions;
  auto colour_name = [&](int j) {
    return fmt::format("{} {}", j < c ? "outer" : "inner", j % c);
  };
  if (o.continuous_features) {
    for (std::size_t j = 0; j < nd; ++j) {
      f.names.push_back("distance to " + colour_name(static_cast<int>(j)));
    }
  }
  if (o.discrete_features) {
    for (std::size_t j = 0; j < nd; ++j) {
      for (int d = 1; d <= n; ++d) {
        f.names.push_back(fmt::format("{} within {}", colour_name(static_cast<int>(j)), d));
      }
    }
  }
  f.num_features = static_cast<int>(f.names.size());
  f.values.reserve(static_cast<std::size_t>(num_states) * f.names.size());
  for (int s = 0; s < num_states; ++s) {
    const double* row = nearest.data() + static_cast<std::size_t>(s) * nd;
    if (o.continuous_features) f.values.insert(f.values.end(), row, row + nd);
    if (o.discrete_features) {
      for (std::size_t j = 0; j < nd; ++j) {
        for (int d = 1; d <= n; ++d) f.values.push_back(row[j] <= d ? 1.0 : 0.0);
      }
    }
  }
  return world;
}

}  // namespace cai
