// Relative difference of two results of one computation (CPU against CUDA): ||a - b|| / ||b||,
// in double on the CPU; b is the reference. Shapes must match.
#pragma once
#include <torch/torch.h>

#include <stdexcept>
#include <vector>

namespace cast::test {

inline double rel_diff(const torch::Tensor& a, const torch::Tensor& b) {
  if (!a.defined() || !b.defined()) throw std::invalid_argument("rel_diff: an undefined tensor");
  if (a.sizes() != b.sizes()) throw std::invalid_argument("rel_diff: shapes differ");
  const auto x = a.detach().to(torch::kCPU, torch::kDouble), y = b.detach().to(torch::kCPU, torch::kDouble);
  const double ref = y.norm().item<double>(), d = (x - y).norm().item<double>();
  if (ref == 0) return d == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return d / ref;
}

// All gradients of a module, flattened and concatenated in parameter order (zeros where a
// parameter got none).
inline torch::Tensor flat_grads(torch::nn::Module& m) {
  std::vector<torch::Tensor> parts;
  for (const auto& p : m.parameters()) {
    if (!p.requires_grad()) continue;
    parts.push_back(p.grad().defined() ? p.grad().detach().to(torch::kCPU, torch::kDouble).flatten()
                                       : torch::zeros({p.numel()}, torch::kDouble));
  }
  return parts.empty() ? torch::zeros({0}, torch::kDouble) : torch::cat(parts);
}

}  // namespace cast::test
