#include "models/foreach_adamw.hpp"

#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>

namespace cast::models {

namespace {
// AdamW keys its state by the parameter's TensorImpl: as a string in LibTorch 1.x
// (c10::guts::to_string of the pointer), as the pointer itself in 2.x.
template <class Map>
typename Map::key_type state_key(const Map&, at::TensorImpl* impl) {
  if constexpr (std::is_same<typename Map::key_type, std::string>::value) {
    std::ostringstream s;
    s << impl;
    return s.str();
  } else {
    return impl;
  }
}
}  // namespace

torch::Tensor ForeachAdamW::step(LossClosure closure) {
  for (const auto& group : param_groups())
    if (static_cast<const torch::optim::AdamWOptions&>(group.options()).amsgrad()) return AdamW::step(closure);
  torch::NoGradGuard no_grad;
  torch::Tensor loss = {};
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  auto& states = state();
  for (auto& group : param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    const double lr = o.lr(), wd = o.weight_decay(), eps = o.eps();
    const double b1 = std::get<0>(o.betas()), b2 = std::get<1>(o.betas());
    // Parameters with a gradient, by their step count (one bias correction per kernel call; all
    // equal unless some parameters had no gradient on some steps).
    struct Lists { std::vector<torch::Tensor> p, g, m, v; };
    std::map<int64_t, Lists> by_step;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      TORCH_CHECK(!p.grad().is_sparse(), "AdamW does not support sparse gradients");
      const auto key = state_key(states, p.unsafeGetTensorImpl());
      auto it = states.find(key);
      if (it == states.end()) {
        auto s = std::make_unique<torch::optim::AdamWParamState>();
        s->step(0);
        s->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        s->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        it = states.emplace(key, std::move(s)).first;
      }
      auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
      s.step(s.step() + 1);
      Lists& l = by_step[s.step()];
      l.p.push_back(p);
      l.g.push_back(p.grad());
      l.m.push_back(s.exp_avg());
      l.v.push_back(s.exp_avg_sq());
    }
    // AdamW's arithmetic in AdamW's order, a list at a time.
    for (auto& [t, l] : by_step) {
      const double bc1 = 1 - std::pow(b1, static_cast<double>(t));
      const double bc2 = 1 - std::pow(b2, static_cast<double>(t));
      if (wd != 0) at::_foreach_mul_(l.p, 1 - lr * wd);
      at::_foreach_mul_(l.m, b1);
      at::_foreach_add_(l.m, l.g, 1 - b1);
      at::_foreach_mul_(l.v, b2);
      at::_foreach_addcmul_(l.v, l.g, l.g, 1 - b2);
      auto denom = at::_foreach_sqrt(l.v);
      at::_foreach_div_(denom, std::sqrt(bc2));
      at::_foreach_add_(denom, eps);
      at::_foreach_addcdiv_(l.p, l.m, denom, -lr / bc1);
    }
  }
  return loss;
}

void clip_grad_norm_on_device(const std::vector<torch::Tensor>& parameters, double max_norm) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return;
  torch::NoGradGuard no_grad;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  std::vector<torch::Tensor> norms = at::_foreach_norm(grads, 2);
#else
  std::vector<torch::Tensor> norms;
  norms.reserve(grads.size());
  for (const auto& g : grads) norms.push_back(g.norm(2));
#endif
  const torch::Tensor total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
  const torch::Tensor coef = torch::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  at::_foreach_mul_(grads, coef);
#else
  for (auto& g : grads) g.mul_(coef);
#endif
}

}  // namespace cast::models
