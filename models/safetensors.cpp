#include "models/safetensors.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace cast::models {

namespace {
struct DType {
  const char* name;
  torch::ScalarType type;
  std::size_t bytes;
};
const DType kTypes[] = {
    {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2}, {"BF16", torch::kBFloat16, 2},
    {"F64", torch::kFloat64, 8}, {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},   {"I8", torch::kInt8, 1},     {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};
[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": not a valid safetensors file (" + what + ")");
}
}  // namespace

std::map<std::string, torch::Tensor> load_safetensors(const std::string& path) {
  std::ifstream is(path, std::ios::binary);
  if (!is) throw std::runtime_error(path + ": cannot open");
  is.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(is.tellg());
  is.seekg(0);
  std::uint64_t n = 0;
  if (file_size < 8 || !is.read(reinterpret_cast<char*>(&n), 8)) bad(path, "shorter than 8 bytes");
  if (n > file_size - 8) bad(path, "header larger than the file");
  std::string header(n, '\0');
  is.read(header.data(), static_cast<std::streamsize>(n));
  auto j = nlohmann::json::parse(header, nullptr, false);
  if (j.is_discarded() || !j.is_object()) bad(path, "header is not JSON");
  const std::uint64_t data_start = 8 + n, data_size = file_size - data_start;
  std::map<std::string, torch::Tensor> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const auto& t = it.value();
    const std::string dt = t.value("dtype", "");
    const DType* type = nullptr;
    for (const auto& d : kTypes) if (dt == d.name) type = &d;
    if (!type) bad(path, "tensor '" + it.key() + "' has unsupported dtype '" + dt + "'");
    std::vector<int64_t> shape = t.at("shape").get<std::vector<int64_t>>();
    auto off = t.at("data_offsets").get<std::vector<std::uint64_t>>();
    std::uint64_t numel = 1;
    for (auto s : shape) numel *= static_cast<std::uint64_t>(s);
    if (off.size() != 2 || off[1] < off[0] || off[1] > data_size || off[1] - off[0] != numel * type->bytes)
      bad(path, "tensor '" + it.key() + "' has data offsets that do not fit its shape or the file");
    auto tensor = torch::empty(shape, torch::TensorOptions().dtype(type->type));
    is.seekg(static_cast<std::streamoff>(data_start + off[0]));
    is.read(static_cast<char*>(tensor.data_ptr()), static_cast<std::streamsize>(off[1] - off[0]));
    if (!is) bad(path, "truncated data for tensor '" + it.key() + "'");
    out.emplace(it.key(), std::move(tensor));
  }
  return out;
}

void save_safetensors(const std::string& path, const std::map<std::string, torch::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  std::vector<torch::Tensor> data;
  for (const auto& [name, t0] : tensors) {
    auto t = t0.detach().to(torch::kCPU).contiguous();
    const DType* type = nullptr;
    for (const auto& d : kTypes) if (t.scalar_type() == d.type) type = &d;
    if (!type) throw std::runtime_error(path + ": cannot write tensor '" + name + "' of this dtype");
    const std::uint64_t bytes = static_cast<std::uint64_t>(t.numel()) * type->bytes;
    header[name] = {{"dtype", type->name}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(t);
  }
  std::string h = header.dump();
  while ((8 + h.size()) % 8) h.push_back(' ');  // align the data as the reference writer does
  const std::string tmp = path + ".tmp";
  {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    if (!os) throw std::runtime_error(tmp + ": cannot write");
    std::uint64_t n = h.size();
    os.write(reinterpret_cast<const char*>(&n), 8);
    os.write(h.data(), static_cast<std::streamsize>(h.size()));
    for (const auto& t : data)
      os.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
    if (!os) throw std::runtime_error(tmp + ": write failed (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error(path + ": cannot rename into place");
}

}  // namespace cast::models
