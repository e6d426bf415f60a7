#include "train/graph_batch.hpp"

#include <algorithm>

#include "graph/node_features.hpp"

namespace cast {

models::GraphBatch collate_graphs(const std::vector<const CrystalGraph*>& graphs) {
  std::size_t n = 0, e = 0;
  for (const auto* g : graphs) { n += g->num_nodes(); e += g->num_edges(); }
  std::vector<int64_t> elem(n), gidx(n), src(e), dst(e);
  std::vector<float> feat(n * kNodeFeatureDim), mult(n), dist(e);
  std::size_t on = 0, oe = 0;
  for (std::size_t k = 0; k < graphs.size(); ++k) {
    const CrystalGraph& g = *graphs[k];
    for (std::size_t i = 0; i < g.num_nodes(); ++i) {
      const int idx = element_index(g.Z[i]);
      elem[on + i] = idx;
      const auto& f = element_features(idx);
      std::copy(f.begin(), f.end(), feat.begin() + static_cast<std::ptrdiff_t>((on + i) * kNodeFeatureDim));
      mult[on + i] = static_cast<float>(g.multiplicity[i]);
      gidx[on + i] = static_cast<int64_t>(k);
    }
    for (std::size_t j = 0; j < g.num_edges(); ++j) {
      src[oe + j] = static_cast<int64_t>(on) + g.edge_src[j];
      dst[oe + j] = static_cast<int64_t>(on) + g.edge_dst[j];
      dist[oe + j] = g.edge_distance[j];
    }
    on += g.num_nodes();
    oe += g.num_edges();
  }
  auto L = [](std::vector<int64_t>& v) { return torch::from_blob(v.data(), {static_cast<int64_t>(v.size())}, torch::kLong).clone(); };
  auto F = [](std::vector<float>& v) { return torch::from_blob(v.data(), {static_cast<int64_t>(v.size())}, torch::kFloat).clone(); };
  models::GraphBatch b;
  b.element_index = L(elem);
  b.node_features = F(feat).view({static_cast<int64_t>(n), kNodeFeatureDim});
  b.multiplicity = F(mult);
  b.graph_index = L(gidx);
  b.edge_src = L(src);
  b.edge_dst = L(dst);
  b.edge_distance = F(dist);
  b.num_graphs = static_cast<int64_t>(graphs.size());
  for (const auto* g : graphs) b.max_nodes = std::max<int64_t>(b.max_nodes, static_cast<int64_t>(g->num_nodes()));
  return b;
}

}  // namespace cast
