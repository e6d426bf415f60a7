// The device a command trains or runs a model on ("cpu", "cuda", "cuda:N"): every command that
// does (lm pretrain, pretrain, train, predict, explain, figure-data) takes it as --device and
// goes through the same code path on either; only autocast (bf16 on CUDA) differs.
#pragma once
#include <torch/torch.h>

#include <string>

namespace cast {

// Parsed and checked: a malformed name, or CUDA asked of a LibTorch that sees none, fails with
// a message saying what to pass instead.
torch::Device resolve_device(const std::string& device);

}  // namespace cast
