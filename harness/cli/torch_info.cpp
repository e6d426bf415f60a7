#include "cli/torch_info.hpp"

#include <torch/torch.h>

#include <chrono>
#include <fstream>

namespace cast {

TorchInfo torch_info() {
  TorchInfo t;
  t.version = TORCH_VERSION;
  t.cuda_devices = static_cast<int>(torch::cuda::device_count());
  t.threads = at::get_num_threads();
  t.parallel_info = at::get_parallel_info();
  auto a = torch::randn({512, 512});
  auto b = torch::randn({512, 512});
  auto c = torch::mm(a, b);  // loads the BLAS
  auto start = std::chrono::steady_clock::now();
  int reps = 20;
  for (int i = 0; i < reps; ++i) c = torch::mm(a, b);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  t.gemm_gflops = reps * 2.0 * 512 * 512 * 512 / s / 1e9;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto k = line.find('/');
    if (k == std::string::npos) continue;
    std::string lib = line.substr(k);
    if (lib.find("blas") != std::string::npos || lib.find("mkl") != std::string::npos) {
      t.blas_library = lib;
      if (lib.find("openblas") != std::string::npos || lib.find("mkl") != std::string::npos ||
          lib.find("blis") != std::string::npos)
        break;
    }
  }
  t.reference_blas = !t.blas_library.empty() && t.blas_library.find("openblas") == std::string::npos &&
                     t.blas_library.find("mkl") == std::string::npos &&
                     t.blas_library.find("blis") == std::string::npos;
  return t;
}

}  // namespace cast
