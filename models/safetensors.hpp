// safetensors files (Hugging Face's tensor format): read into named tensors, write from them.
// Layout: u64 little-endian header size, a JSON header {name: {dtype, shape, data_offsets}},
// then the raw little-endian data.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

namespace cast::models {

// Throws std::runtime_error naming the file (and the tensor) on a malformed file.
std::map<std::string, torch::Tensor> load_safetensors(const std::string& path);
// Tensors are written contiguous, on CPU, in their own dtype; metadata goes to __metadata__.
void save_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace cast::models
