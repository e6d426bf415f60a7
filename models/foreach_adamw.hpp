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

}  // namespace cast::models
