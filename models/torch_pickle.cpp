#include "models/torch_pickle.hpp"

#include <torch/serialize.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "models/safetensors.hpp"

namespace cast::models {

namespace {
bool readable(const std::string& p) { return std::ifstream(p).good(); }

void take_dict(const c10::IValue& v, const std::string& path, std::map<std::string, torch::Tensor>& out) {
  for (const auto& kv : v.toGenericDict()) {
    if (!kv.key().isString())
      throw std::runtime_error(path + ": a key of the state dict is not a string (" + kv.key().tagKind() + ")");
    const std::string name = kv.key().toStringRef();
    if (!kv.value().isTensor())
      throw std::runtime_error(path + ": '" + name + "' is a " + kv.value().tagKind() +
                               ", not a tensor (expected torch.save(model.state_dict()))");
    out[name] = kv.value().toTensor().contiguous();
  }
}
}  // namespace

std::map<std::string, torch::Tensor> load_torch_state_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < 4 || !(data[0] == 'P' && data[1] == 'K' && data[2] == 3 && data[3] == 4)) {
    throw std::runtime_error(path + ": not PyTorch's zip format (a legacy torch.save file from PyTorch < 1.6, or not a "
                             "checkpoint); re-save it with a recent torch.save, or convert it to model.safetensors");
  }
  c10::IValue v;
  try {
    v = torch::pickle_load(data);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": cannot read the PyTorch archive (" + e.what_without_backtrace() + ")");
  }
  if (!v.isGenericDict())
    throw std::runtime_error(path + ": holds a " + v.tagKind() + ", not a state dict (expected torch.save(model.state_dict()))");
  std::map<std::string, torch::Tensor> out;
  auto d = v.toGenericDict();
  for (const char* nested : {"state_dict", "model"}) {
    auto it = d.find(c10::IValue(std::string(nested)));
    if (it != d.end() && it->value().isGenericDict()) {
      take_dict(it->value(), path, out);
      return out;
    }
  }
  take_dict(v, path, out);
  if (out.empty()) throw std::runtime_error(path + ": an empty state dict");
  return out;
}

std::map<std::string, torch::Tensor> load_hf_weights(const std::string& dir, std::string* used) {
  const std::string st = dir + "/model.safetensors", bin = dir + "/pytorch_model.bin";
  if (readable(st)) {
    if (used) *used = st;
    return load_safetensors(st);
  }
  if (readable(bin)) {
    if (used) *used = bin;
    return load_torch_state_dict(bin);
  }
  throw std::runtime_error(dir + ": no model.safetensors or pytorch_model.bin (a Hugging Face BERT checkpoint directory "
                           "holds config.json, vocab.txt and one of them; 'cast data fetch matscibert' writes one)");
}

}  // namespace cast::models
