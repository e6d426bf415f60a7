// What LibTorch this binary runs on (the only torch-dependent piece of `cast doctor`).
#pragma once
#include <string>
#include <vector>

namespace cast {

struct TorchInfo {
  std::string version;
  int cuda_devices = 0;
  std::vector<std::string> device_names;
  int threads = 0;
  std::string blas_library;   // the BLAS shared object loaded in this process
  bool reference_blas = false;
  double gemm_gflops = 0;     // measured 512x512 float matmul
  std::string parallel_info;
};

TorchInfo torch_info();

}  // namespace cast
