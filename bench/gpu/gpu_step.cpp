// One CAST training step at paper size on a GPU: BERT-base (LoRA on query/value), 64 texts x 512
// tokens, 64 structures x 17 nodes x 24 in-edges, coGN + 4-layer cross-attention fusion, AdamW.
// Reference: the same step in PyTorch + transformers takes 84 ms on an H200.
// Prints ms/step for fp32 and bf16 autocast, timed over N steps with one synchronisation.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>

#include "models/autocast.hpp"
#include "models/bert.hpp"
#include "models/cogn.hpp"
#include "models/foreach_adamw.hpp"
#include "models/fusion.hpp"

using namespace cast::models;

struct CastStep : torch::nn::Module {
  CoGN cogn{nullptr};
  BertModel bert{nullptr};
  CrossAttentionFusion fusion{nullptr};
  torch::nn::Linear head{nullptr};
  CastStep() {
    BertConfig c;
    c.vocab_size = 31090;
    bert = register_module("bert", BertModel(c));
    set_text_encoder_mode(bert, "lora", 8, 8.0, 0.0, {"query", "value"});
    cogn = register_module("cogn", CoGN());
    FusionOptions fo;
    fusion = register_module("fusion", CrossAttentionFusion(fo));
    head = register_module("head", torch::nn::Linear(128, 1));
  }
  torch::Tensor forward(const GraphBatch& g, const torch::Tensor& ids, const torch::Tensor& mask) {
    auto nodes = cogn->node_states(g);
    auto tokens = bert->forward(ids, torch::Tensor()).last_hidden_state;  // no padding in this batch
    auto fused = fusion->forward(nodes, g.graph_index, g.num_graphs, tokens, mask, false, g.max_nodes);
    return head(cogn->readout(g, fused)).squeeze(-1);
  }
};

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 30;
  torch::Device dev(torch::cuda::is_available() ? torch::kCUDA : torch::kCPU);
  std::printf("device: %s, torch %s\n", dev.is_cuda() ? "cuda" : "cpu", TORCH_VERSION);
  at::globalContext().setAllowTF32CuBLAS(true);
  at::globalContext().setAllowTF32CuDNN(true);
  torch::manual_seed(0);
  auto model = std::make_shared<CastStep>();
  model->to(dev);
  std::vector<torch::Tensor> params;
  for (auto& p : model->parameters()) if (p.requires_grad()) params.push_back(p);
  ForeachAdamW opt(params, torch::optim::AdamWOptions(5e-4).weight_decay(0.01));
  // Paper size on a GPU; a tiny smoke-test size on CPU.
  const int64_t B = dev.is_cuda() ? 64 : 2, L = dev.is_cuda() ? 512 : 32, N = 17, E = 24;
  auto opts_l = torch::TensorOptions().dtype(torch::kLong).device(dev);
  GraphBatch g;
  g.element_index = torch::randint(0, 100, {B * N}, opts_l);
  g.node_features = torch::randn({B * N, 18}, torch::TensorOptions().device(dev));
  g.multiplicity = torch::ones({B * N}, torch::TensorOptions().device(dev));
  g.graph_index = torch::arange(B, opts_l).repeat_interleave(N);
  auto base = torch::div(torch::arange(B * N * E, opts_l), N * E, "floor") * N;
  g.edge_dst = torch::arange(B * N, opts_l).repeat_interleave(E);
  g.edge_src = base + torch::randint(0, N, {B * N * E}, opts_l);
  g.edge_distance = torch::rand({B * N * E}, torch::TensorOptions().device(dev)) * 4 + 1.5;
  g.num_graphs = B;
  g.max_nodes = N;
  auto ids = torch::randint(5, 31090, {B, L}, opts_l);
  auto mask = torch::ones({B, L}, opts_l);
  auto y = torch::randn({B}, torch::TensorOptions().device(dev));

  for (int mode = 0; mode < 2; ++mode) {
    const bool bf16 = mode == 1;
    auto step = [&] {  // the trainer's step: forward and loss under autocast, backward outside
      opt.zero_grad();
      torch::Tensor loss;
      {
        AutocastGuard autocast(bf16 && dev.is_cuda());
        loss = torch::l1_loss(model->forward(g, ids, mask).to(torch::kFloat), y);
      }
      loss.backward();
      opt.step();
    };
    for (int i = 0; i < 5; ++i) step();
    if (dev.is_cuda()) torch::cuda::synchronize();
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    if (dev.is_cuda()) torch::cuda::synchronize();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / steps;
    std::printf("%s: %.1f ms/step (%d steps)\n", bf16 ? "bf16 autocast" : "fp32 (TF32 matmuls)", ms, steps);
    std::fflush(stdout);
  }
  return 0;
}
