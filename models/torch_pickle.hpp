// PyTorch checkpoints (pytorch_model.bin: torch.save of a state dict in PyTorch's zip-pickle
// format, what many BERT checkpoints on the Hugging Face hub still ship instead of safetensors),
// read with LibTorch's own unpickler (torch::pickle_load).
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

namespace cast::models {

// The tensors of a state dict saved by torch.save (a dict name -> tensor; a dict under
// "state_dict" or "model" is taken too). Throws std::runtime_error naming the file for a legacy
// (pre-1.6, non-zip) file, a file that is not a dict of tensors, or a corrupt archive.
std::map<std::string, torch::Tensor> load_torch_state_dict(const std::string& path);

// A Hugging Face checkpoint directory's weights: model.safetensors, else pytorch_model.bin.
// *used (if given) is the file read. Throws naming the directory when it has neither.
std::map<std::string, torch::Tensor> load_hf_weights(const std::string& dir, std::string* used = nullptr);

}  // namespace cast::models
