// torch::optim::AdamW whose step updates each parameter group with a handful of multi-tensor
// (_foreach) kernels instead of about ten kernels per tensor: on a GPU the optimiser step then
// costs a few launches, not thousands (BERT-base has ~200 parameter tensors). Everything else is
// AdamW's own: options, parameter groups, per-parameter state and serialisation, so checkpoints
// written by either load into the other, and on the CPU it takes the very same steps
// (tests/test_cogn.cpp). amsgrad falls back to AdamW's own step.
#pragma once
#include <torch/torch.h>

namespace cast::models {

class ForeachAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

// torch::nn::utils::clip_grad_norm_ (L2) without its last step, reading the total norm back to
// the host, which makes the CPU wait for the device once a step: the same arithmetic on the
// same tensors (the norm of the per-tensor norms; each gradient times min(1, max / (norm +
// 1e-6))), the norm itself left on the device. Under LibTorch >= 2.1 the per-tensor norms and
// products are multi-tensor kernels.
void clip_grad_norm_on_device(const std::vector<torch::Tensor>& parameters, double max_norm);

}  // namespace cast::models
