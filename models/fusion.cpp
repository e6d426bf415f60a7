#include "models/fusion.hpp"

#include <cmath>
#include <limits>

namespace cast::models {

CrossAttentionLayerImpl::CrossAttentionLayerImpl(const FusionOptions& o)
    : heads(o.heads), head_dim(o.dim / o.heads), dropout(o.dropout) {
  q_proj = register_module("q_proj", torch::nn::Linear(o.dim, o.dim));
  k_proj = register_module("k_proj", torch::nn::Linear(o.text_dim, o.dim));
  v_proj = register_module("v_proj", torch::nn::Linear(o.text_dim, o.dim));
  out_proj = register_module("out_proj", torch::nn::Linear(o.dim, o.dim));
  ffn1 = register_module("ffn1", torch::nn::Linear(o.dim, o.ffn));
  ffn2 = register_module("ffn2", torch::nn::Linear(o.ffn, o.dim));
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim})));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim})));
}

torch::Tensor CrossAttentionLayerImpl::forward(const torch::Tensor& q, const torch::Tensor& kv,
                                               const torch::Tensor& token_mask, torch::Tensor* attn) {
  const int64_t B = q.size(0), N = q.size(1), L = kv.size(1);
  auto Q = q_proj(q).view({B, N, heads, head_dim}).transpose(1, 2);
  auto K = k_proj(kv).view({B, L, heads, head_dim}).transpose(1, 2);
  auto V = v_proj(kv).view({B, L, heads, head_dim}).transpose(1, 2);
  torch::Tensor ctx;
#if defined(TORCH_VERSION_MAJOR) && TORCH_VERSION_MAJOR >= 2
  if (!attn) {  // fused attention (the weights themselves are not formed); a true mask entry takes part
    c10::optional<at::Tensor> keep;
    if (token_mask.defined()) keep = token_mask.ne(0).view({B, 1, 1, L});
    ctx = at::scaled_dot_product_attention(Q, K, V, keep, is_training() ? dropout : 0.0);
  }
#endif
  if (!ctx.defined()) {  // LibTorch 1.x, or the attention weights are wanted (Figure 3, cast explain)
    auto scores = torch::matmul(Q, K.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_dim));
    if (token_mask.defined()) {
      auto pad = token_mask.eq(0).view({B, 1, 1, L});
      scores = scores.masked_fill(pad, -std::numeric_limits<float>::infinity());
    }
    auto p = torch::softmax(scores, -1);
    if (attn) *attn = p.detach();
    ctx = torch::matmul(torch::dropout(p, dropout, is_training()), V);
  }
  ctx = ctx.transpose(1, 2).reshape({B, N, heads * head_dim});
  auto h = norm1(q + torch::dropout(out_proj(ctx), dropout, is_training()));
  return norm2(h + torch::dropout(ffn2(torch::gelu(ffn1(h))), dropout, is_training()));
}

CrossAttentionFusionImpl::CrossAttentionFusionImpl(const FusionOptions& o) : options(o) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t l = 0; l < o.layers; ++l) layers->push_back(CrossAttentionLayer(o));
}

torch::Tensor CrossAttentionFusionImpl::forward(const torch::Tensor& nodes, const torch::Tensor& graph_index,
                                                int64_t num_graphs, const torch::Tensor& tokens,
                                                const torch::Tensor& token_mask, bool keep_attention,
                                                int64_t max_nodes) {
  // Pad nodes per graph: position of each node within its graph.
  const int64_t N = nodes.size(0);
  auto counts = torch::zeros({num_graphs}, graph_index.options()).index_add_(0, graph_index, torch::ones_like(graph_index));
  const int64_t nmax = max_nodes > 0 ? max_nodes : counts.max().item<int64_t>();
  auto starts = torch::cumsum(counts, 0) - counts;
  auto pos = torch::arange(N, graph_index.options()) - starts.index_select(0, graph_index);
  auto flat = graph_index * nmax + pos;
  auto q = torch::zeros({num_graphs * nmax, nodes.size(1)}, nodes.options()).index_copy(0, flat, nodes).view({num_graphs, nmax, -1});
  attention.clear();
  for (const auto& layer : *layers) {
    torch::Tensor a;
    q = layer->as<CrossAttentionLayer>()->forward(q, tokens, token_mask, keep_attention ? &a : nullptr);
    if (keep_attention) attention.push_back(a);
  }
  return q.view({num_graphs * nmax, -1}).index_select(0, flat);
}

}  // namespace cast::models
