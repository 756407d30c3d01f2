#include "cai/io/gridworld_svg.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "cai/core/error.h"

namespace cai {
namespace {

// A perceptually ordered blue -> yellow ramp (samples of viridis), linearly interpolated.
std::string Color(double t) {
  static constexpr std::array<std::array<double, 3>, 5> kStops = {{{68, 1, 84},
                                                                   {59, 82, 139},
                                                                   {33, 145, 140},
                                                                   {94, 201, 98},
                                                                   {253, 231, 37}}};
  t = std::clamp(t, 0.0, 1.0) * (kStops.size() - 1);
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(t), kStops.size() - 2);
  const double f = t - static_cast<double>(i);
  std::array<int, 3> c{};
  for (std::size_t k = 0; k < 3; ++k) {
    c[k] = static_cast<int>(std::lround(kStops[i][k] * (1 - f) + kStops[i + 1][k] * f));
  }
  return fmt::format("rgb({},{},{})", c[0], c[1], c[2]);
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

}  // namespace

std::string GridworldSvg(const Mdp& mdp, std::span<const double> values,
                         std::span<const double> policy, const std::string& title) {
  if (!mdp.grid()) {
    throw Error("svg: the MDP has no grid layout (use a gridworld, or add \"grid\" to the file)");
  }
  const std::vector<std::string> expected = {"up", "down", "left", "right"};
  if (mdp.action_names() != expected) {
    throw Error("svg: arrows need the actions named up, down, left, right (as the gridworld built-in)");
  }
  const int w = mdp.grid()->width;
  const int h = mdp.grid()->height;
  if (std::int64_t{w} * h > 200 * 200) {
    throw Error(fmt::format("svg: {} x {} cells is too many to draw (at most 200 x 200)", w, h));
  }
  if (values.size() != static_cast<std::size_t>(mdp.num_states()) ||
      policy.size() != static_cast<std::size_t>(mdp.num_states()) * 4) {
    throw Error("svg: values / policy sizes do not match the MDP");
  }
  const double vmin = *std::min_element(values.begin(), values.end());
  const double vmax = *std::max_element(values.begin(), values.end());
  const double span = vmax > vmin ? vmax - vmin : 1.0;
  const int cell = std::clamp(640 / std::max(w, h), 8, 64);
  const int top = 36;
  const int legend = 70;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"4\" y=\"22\" font-size=\"14\">{}</text>\n",
      w * cell + legend + 8, h * cell + top + 8, Escape(title));
  const bool labels = cell >= 40;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int s = y * w + x;
      const double v = values[static_cast<std::size_t>(s)];
      const int px = x * cell;
      const int py = top + y * cell;
      bool all_terminal = true;
      for (int a = 0; a < 4; ++a) all_terminal = all_terminal && mdp.IsTerminal(s, a);
      svg += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"{}\" "
          "stroke-width=\"{}\"><title>{} V={:.4f}</title></rect>\n",
          px, py, cell, cell, Color((v - vmin) / span), all_terminal ? "white" : "#333",
          all_terminal ? 3 : 0.5, Escape(mdp.StateName(s)), v);
      if (labels) {
        svg += fmt::format(
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"white\" stroke=\"black\" "
            "stroke-width=\"0.3\">{:.2f}</text>\n",
            px + 2, py + cell - 3, cell / 5, v);
      }
      if (all_terminal) continue;
      const double cx = px + cell / 2.0;
      const double cy = py + cell / 2.0;
      constexpr double kDx[4] = {0, 0, -1, 1};
      constexpr double kDy[4] = {-1, 1, 0, 0};
      for (int a = 0; a < 4; ++a) {
        const double p = policy[static_cast<std::size_t>(s) * 4 + static_cast<std::size_t>(a)];
        if (p < 0.02) continue;
        const double len = p * cell * 0.45;
        svg += fmt::format(
            "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"white\" "
            "stroke-width=\"{:.1f}\" stroke-linecap=\"round\"/>\n",
            cx, cy, cx + kDx[a] * len, cy + kDy[a] * len, std::max(1.0, cell / 16.0));
        // Arrow head.
        const double hx = cx + kDx[a] * len;
        const double hy = cy + kDy[a] * len;
        const double hs = std::max(2.0, cell / 10.0) * std::sqrt(p);
        svg += fmt::format(
            "<polygon points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" fill=\"white\"/>\n",
            hx + kDx[a] * hs, hy + kDy[a] * hs, hx - kDy[a] * hs, hy + kDx[a] * hs,
            hx + kDy[a] * hs, hy - kDx[a] * hs);
      }
    }
  }
  // Legend: the colour ramp with the value range.
  const int lx = w * cell + 12;
  for (int k = 0; k < 20; ++k) {
    svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"{:.2f}\" fill=\"{}\"/>\n", lx,
                       top + k * (h * cell) / 20.0, (h * cell) / 20.0 + 0.5,
                       Color(1.0 - k / 19.0));
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\">{:.3g}</text>\n", lx + 17, top + 10,
                     vmax);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\">{:.3g}</text>\n", lx + 17,
                     top + h * cell, vmin);
  svg += "</svg>\n";
  return svg;
}

}  // namespace cai

namespace cai {

std::string GridHeatmapsSvg(const GridLayout& grid, std::span<const HeatmapPanel> panels,
                            const std::string& title) {
  const int w = grid.width;
  const int h = grid.height;
  if (w < 1 || h < 1 || std::int64_t{w} * h > 200 * 200) {
    throw Error(fmt::format("svg: {} x {} cells cannot be drawn (expected 1 to 200 x 200)", w, h));
  }
  const auto n = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
  const int cell = std::clamp(360 / std::max(w, h), 4, 48);
  const int top = 52;
  const int gap = 70;
  const int panel_w = w * cell + gap;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"4\" y=\"20\" font-size=\"14\">{}</text>\n",
      static_cast<int>(panels.size()) * panel_w + 8, h * cell + top + 8, Escape(title));
  for (std::size_t p = 0; p < panels.size(); ++p) {
    const auto& values = panels[p].values;
    if (values.size() != n) {
      throw Error(fmt::format("svg: panel \"{}\" has {} values (expected {} x {} = {})",
                              panels[p].title, values.size(), w, h, n));
    }
    const double vmin = *std::min_element(values.begin(), values.end());
    const double vmax = *std::max_element(values.begin(), values.end());
    const double span = vmax > vmin ? vmax - vmin : 1.0;
    const int ox = static_cast<int>(p) * panel_w + 4;
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>\n", ox, top - 8,
                       Escape(panels[p].title));
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const double v = values[static_cast<std::size_t>(y * w + x)];
        svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>"
                           "({}, {}) {:.4g}</title></rect>\n",
                           ox + x * cell, top + y * cell, cell, cell, Color((v - vmin) / span), x,
                           y, v);
      }
    }
    const int lx = ox + w * cell + 6;
    for (int k = 0; k < 20; ++k) {
      svg += fmt::format("<rect x=\"{}\" y=\"{:.2f}\" width=\"12\" height=\"{:.2f}\" fill=\"{}\"/>\n",
                         lx, top + k * (h * cell) / 20.0, (h * cell) / 20.0 + 0.5,
                         Color(1.0 - k / 19.0));
    }
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\">{:.3g}</text>\n", lx + 14,
                       top + 10, vmax);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\">{:.3g}</text>\n", lx + 14,
                       top + h * cell, vmin);
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace cai
