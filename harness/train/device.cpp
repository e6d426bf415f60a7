#include "train/device.hpp"

#include "common/error.hpp"

namespace cast {

torch::Device resolve_device(const std::string& device) {
  torch::Device d = torch::kCPU;
  try {
    d = torch::Device(device);
  } catch (const c10::Error&) {
    fail("--device '", device, "': not a device (cpu, cuda, cuda:N)");
  }
  if (d.is_cuda()) {
    if (!torch::cuda::is_available())
      fail("--device ", device, ": this LibTorch sees no CUDA device (", TORCH_VERSION,
           "; 'cast doctor' shows what it sees); use --device cpu");
    const auto n = static_cast<int>(torch::cuda::device_count());
    if (d.has_index() && d.index() >= n)
      fail("--device ", device, ": this machine has ", n, " CUDA device", n == 1 ? "" : "s", " (cuda:0",
           n > 1 ? " to cuda:" + std::to_string(n - 1) : std::string(), ")");
  } else if (!d.is_cpu()) {
    fail("--device ", device, ": cast runs on cpu or cuda");
  }
  return d;
}

}  // namespace cast
