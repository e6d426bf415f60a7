#include "models/lora.hpp"

#include <cmath>

namespace cast::models {

LoRALinearImpl::LoRALinearImpl(int64_t in, int64_t out, bool with_bias) : in_(in), out_(out) {
  weight = register_parameter("weight", torch::empty({out, in}));
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (with_bias) {
    bias = register_parameter("bias", torch::empty({out}));
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

void LoRALinearImpl::enable_lora(int64_t r, double alpha, double dropout) {
  r_ = r;
  scaling_ = alpha / static_cast<double>(r);
  dropout_ = dropout;
  lora_A = register_parameter("lora_A", torch::empty({r, in_}, weight.options()));
  torch::nn::init::kaiming_uniform_(lora_A, std::sqrt(5.0));
  lora_B = register_parameter("lora_B", torch::zeros({out_, r}, weight.options()));
}

torch::Tensor LoRALinearImpl::forward(const torch::Tensor& x) {
  auto y = torch::nn::functional::linear(x, weight, bias);
  if (r_ > 0) {
    auto h = dropout_ > 0 ? torch::dropout(x, dropout_, is_training()) : x;
    y = y + scaling_ * torch::nn::functional::linear(torch::nn::functional::linear(h, lora_A), lora_B);
  }
  return y;
}

void LoRALinearImpl::merge() {
  if (r_ == 0) return;
  torch::NoGradGuard g;
  weight.add_(torch::mm(lora_B, lora_A), scaling_);
  // Drop the adapter: unregistering is not supported, so zero it and disable it.
  lora_B.zero_();
  r_ = 0;
}

}  // namespace cast::models
