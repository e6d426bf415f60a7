// AdamW (decoupled weight decay) updating all parameters of a group with a handful of
// multi-tensor (_foreach) kernels instead of ~10 kernels per tensor: on a GPU the optimiser step
// then costs a few launches, not thousands. Same math as torch.optim.AdamW.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace cast::models {

class ForeachAdamW {
 public:
  ForeachAdamW(std::vector<torch::Tensor> params, double lr, double weight_decay = 0.01, double beta1 = 0.9,
               double beta2 = 0.999, double eps = 1e-8);
  void zero_grad();
  void step();
  void set_lr(double lr) { lr_ = lr; }
  int64_t steps() const { return t_; }

 private:
  std::vector<torch::Tensor> params_, m_, v_;
  double lr_, wd_, b1_, b2_, eps_;
  int64_t t_ = 0;
};

}  // namespace cast::models
