#include "models/cogn.hpp"

namespace cast::models {

GraphBatch GraphBatch::to(const torch::Device& d) const {
  GraphBatch b = *this;
  for (auto* t : {&b.element_index, &b.node_features, &b.multiplicity, &b.graph_index, &b.edge_src, &b.edge_dst,
                  &b.edge_distance})
    if (t->defined()) *t = t->to(d, /*non_blocking=*/true);
  return b;
}

CoGNImpl::CoGNImpl(const CoGNOptions& o) : options(o) {
  embedding = register_module("embedding", torch::nn::Embedding(o.elements, o.units));
  node_in = register_module("node_in", torch::nn::Linear(o.units + o.node_features, o.units));
  edge_in = register_module("edge_in", torch::nn::Linear(o.gaussians, o.units));
  edge_mlps = register_module("edge_mlps", torch::nn::ModuleList());
  node_mlps = register_module("node_mlps", torch::nn::ModuleList());
  for (int64_t b = 0; b < o.blocks; ++b) {
    torch::nn::Sequential mlp;
    for (int64_t l = 0; l < o.edge_layers; ++l) {
      mlp->push_back(torch::nn::Linear(l == 0 ? 3 * o.units : o.units, o.units));
      mlp->push_back(torch::nn::SiLU());
    }
    edge_mlps->push_back(mlp);
    node_mlps->push_back(torch::nn::Sequential(torch::nn::Linear(o.units, o.units), torch::nn::SiLU()));
  }
  head = register_module("head", torch::nn::Linear(o.units, 1));
  // linspace(0, max, gaussians + 1)[1:]
  centres = register_buffer("centres", torch::linspace(0, o.max_distance, o.gaussians + 1).slice(0, 1));
  keras_init(*this);
}

torch::Tensor CoGNImpl::node_states(const GraphBatch& g) {
  const double spacing = options.max_distance / static_cast<double>(options.gaussians);
  const double sigma2 = spacing;  // sigma = sqrt(spacing * 1.0), so 2 sigma^2 = 2 spacing
  auto d = g.edge_distance.unsqueeze(-1) - centres.to(g.edge_distance.dtype());
  auto e0 = edge_in(torch::exp(-d * d / (2.0 * sigma2)));
  auto h = node_in(torch::cat({embedding(g.element_index), g.node_features}, -1));
  const int64_t n = h.size(0);
  for (int64_t b = 0; b < options.blocks; ++b) {
    auto hi = h.index_select(0, g.edge_dst), hj = h.index_select(0, g.edge_src);
    auto m = edge_mlps[b]->as<torch::nn::Sequential>()->forward(torch::cat({e0, hi, hj}, -1));
    auto a = torch::zeros({n, options.units}, m.options()).index_add_(0, g.edge_dst, m);
    h = h + node_mlps[b]->as<torch::nn::Sequential>()->forward(a);
  }
  return h;
}

torch::Tensor CoGNImpl::readout(const GraphBatch& g, const torch::Tensor& nodes) {
  auto w = g.multiplicity.to(nodes.dtype()).unsqueeze(-1);
  auto sum = torch::zeros({g.num_graphs, nodes.size(1)}, nodes.options()).index_add_(0, g.graph_index, nodes * w);
  auto norm = torch::zeros({g.num_graphs, 1}, nodes.options()).index_add_(0, g.graph_index, w);
  return sum / norm.clamp_min(1e-12);
}

void keras_init(torch::nn::Module& m) {
  torch::NoGradGuard g;
  for (auto& mod : m.modules(/*include_self=*/false)) {
    if (auto* lin = mod->as<torch::nn::Linear>()) {
      torch::nn::init::xavier_uniform_(lin->weight);
      if (lin->bias.defined()) lin->bias.zero_();
    } else if (auto* emb = mod->as<torch::nn::Embedding>()) {
      torch::nn::init::uniform_(emb->weight, -0.05, 0.05);
    }
  }
}

}  // namespace cast::models
