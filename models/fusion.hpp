// CAST's cross-attention fusion (SPEC §0.1-0.2): node states are queries, text token states
// keys and values (projected from the text width to 128), padded tokens masked.
// Per layer: q <- LN(q + MHA(q, K = V = text)); q <- LN(q + FFN(q)), FFN 128-512-128 GELU.
// Attention weights of every layer and head can be kept for Figures 2 and 3 and `cast explain`.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace cast::models {

struct FusionOptions {
  int64_t dim = 128, text_dim = 768, heads = 8, layers = 4, ffn = 512;
  double dropout = 0.1;
};

struct CrossAttentionLayerImpl : torch::nn::Module {
  CrossAttentionLayerImpl(const FusionOptions& o);
  // q: [B, Nmax, dim], kv: [B, L, text_dim], token_mask: [B, L] (1 = token),
  // returns new q; attn (if not null) receives [B, heads, Nmax, L].
  torch::Tensor forward(const torch::Tensor& q, const torch::Tensor& kv, const torch::Tensor& token_mask,
                        torch::Tensor* attn);
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr}, ffn1{nullptr}, ffn2{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  int64_t heads, head_dim;
  double dropout;
};
TORCH_MODULE(CrossAttentionLayer);

struct CrossAttentionFusionImpl : torch::nn::Module {
  explicit CrossAttentionFusionImpl(const FusionOptions& o = {});
  // nodes: [N, dim] concatenated over graphs, graph_index: [N]; tokens: [B, L, text_dim].
  // Returns fused node states [N, dim]. keep_attention: fill `attention` with one
  // [B, heads, Nmax, L] tensor per layer (node order within a graph preserved).
  // max_nodes: the largest graph's node count when known on the host (0: computed, which
  // synchronises with the device).
  torch::Tensor forward(const torch::Tensor& nodes, const torch::Tensor& graph_index, int64_t num_graphs,
                        const torch::Tensor& tokens, const torch::Tensor& token_mask, bool keep_attention = false,
                        int64_t max_nodes = 0);
  torch::nn::ModuleList layers{nullptr};
  std::vector<torch::Tensor> attention;
  FusionOptions options;
};
TORCH_MODULE(CrossAttentionFusion);

}  // namespace cast::models
