// coGN (kgcnn v3.1.0, SPEC §1.2-1.4) in LibTorch: the crystal-graph encoder CAST shares.
//   node input  = Embedding(119, 128)[element index] ‖ 18 element features -> Dense(146 -> 128)
//   edge input  = 32 Gaussians of the distance (0.25..8 Å, sigma 0.5)     -> Dense(32 -> 128)
//   5 blocks    : m_ij = EdgeMLP(e0_ij ‖ h_i ‖ h_j) (5 x Dense 128 + swish), a_i = sum_j m_ij,
//                 h_i += swish(Dense(a_i)); edges are never updated (every block reads e0)
//   readout     : multiplicity-weighted mean of node states -> Dense(128 -> 1)
// 697,601 parameters at the default size. Keras initialisation: Glorot-uniform weights, zero
// biases, embedding U(-0.05, 0.05).
#pragma once
#include <torch/torch.h>

namespace cast::models {

// A batch of asymmetric-unit graphs, concatenated. Receivers are edge_dst, senders edge_src.
struct GraphBatch {
  torch::Tensor element_index;  // [N] int64, Z - 1 (118 = [MASK])
  torch::Tensor node_features;  // [N, 18] float
  torch::Tensor multiplicity;   // [N] float
  torch::Tensor graph_index;    // [N] int64, which graph each node belongs to
  torch::Tensor edge_src, edge_dst;  // [E] int64, node indices into the batch
  torch::Tensor edge_distance;  // [E] float, Å
  int64_t num_graphs = 0;
  int64_t max_nodes = 0;       // largest graph, known on the host (no device sync to find it)
  GraphBatch to(const torch::Device& d) const;
};

struct CoGNOptions {
  int64_t units = 128, blocks = 5, edge_layers = 5, gaussians = 32, node_features = 18, elements = 119;
  double max_distance = 8.0;
};

class CoGNImpl : public torch::nn::Module {
 public:
  explicit CoGNImpl(const CoGNOptions& o = {});
  // Node states after the message-passing blocks: [N, units].
  torch::Tensor node_states(const GraphBatch& g);
  // Multiplicity-weighted mean per graph: [num_graphs, units].
  torch::Tensor readout(const GraphBatch& g, const torch::Tensor& nodes);
  // The coGN regression model: [num_graphs].
  torch::Tensor forward(const GraphBatch& g) { return head(readout(g, node_states(g))).squeeze(-1); }

  torch::nn::Embedding embedding{nullptr};
  torch::nn::Linear node_in{nullptr}, edge_in{nullptr}, head{nullptr};
  torch::nn::ModuleList edge_mlps{nullptr}, node_mlps{nullptr};
  CoGNOptions options;
  torch::Tensor centres;  // Gaussian centres (buffer)
};
TORCH_MODULE(CoGN);

// Glorot-uniform for every Linear weight, zero biases, U(-0.05, 0.05) for embeddings.
void keras_init(torch::nn::Module& m);

}  // namespace cast::models
