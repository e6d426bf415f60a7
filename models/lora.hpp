// A Linear layer that can carry a LoRA adapter (peft semantics, SPEC §5):
//   y = x W^T + b + (alpha / r) * B(A(dropout(x))),  A: r x in (Kaiming-uniform, a = sqrt 5),
//   B: out x r (zeros), so a fresh adapter is a no-op. Parameter names: weight, bias,
// lora_A, lora_B; merge() folds the adapter into weight for inference.
#pragma once
#include <torch/torch.h>

namespace cast::models {

class LoRALinearImpl : public torch::nn::Module {
 public:
  LoRALinearImpl(int64_t in, int64_t out, bool bias = true);
  torch::Tensor forward(const torch::Tensor& x);
  void enable_lora(int64_t r, double alpha, double dropout);
  bool has_lora() const { return r_ > 0; }
  void merge();  // W += s B A; the adapter is removed
  int64_t rank() const { return r_; }
  double scaling() const { return scaling_; }

  torch::Tensor weight, bias, lora_A, lora_B;

 private:
  int64_t in_, out_, r_ = 0;
  double scaling_ = 0, dropout_ = 0;
};
TORCH_MODULE(LoRALinear);

}  // namespace cast::models
