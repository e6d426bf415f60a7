#include "models/foreach_adamw.hpp"

#include <cmath>

namespace cast::models {

ForeachAdamW::ForeachAdamW(std::vector<torch::Tensor> params, double lr, double wd, double b1, double b2, double eps)
    : params_(std::move(params)), lr_(lr), wd_(wd), b1_(b1), b2_(b2), eps_(eps) {
  for (auto& p : params_) {
    m_.push_back(torch::zeros_like(p));
    v_.push_back(torch::zeros_like(p));
  }
}

void ForeachAdamW::zero_grad() {
  for (auto& p : params_)
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
}

void ForeachAdamW::step() {
  torch::NoGradGuard g;
  std::vector<torch::Tensor> p, gr, m, v;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].grad().defined()) continue;
    p.push_back(params_[i]);
    gr.push_back(params_[i].grad());
    m.push_back(m_[i]);
    v.push_back(v_[i]);
  }
  if (p.empty()) return;
  ++t_;
  const double bc1 = 1.0 - std::pow(b1_, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(b2_, static_cast<double>(t_));
  if (wd_ != 0) at::_foreach_mul_(p, 1.0 - lr_ * wd_);
  at::_foreach_mul_(m, b1_);
  at::_foreach_add_(m, gr, 1.0 - b1_);
  at::_foreach_mul_(v, b2_);
  at::_foreach_addcmul_(v, gr, gr, 1.0 - b2_);
  auto denom = at::_foreach_sqrt(v);
  at::_foreach_div_(denom, std::sqrt(bc2));
  at::_foreach_add_(denom, eps_);
  at::_foreach_addcdiv_(p, m, denom, -lr_ / bc1);
}

}  // namespace cast::models
