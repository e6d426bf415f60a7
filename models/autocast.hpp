// bf16 autocast for CUDA steps while in scope (LibTorch >= 2; with Debian's CPU-only 1.13 it does
// nothing). One guard for the trainer and bench/gpu/gpu_step.cpp, so the step timed on the GPU
// machine is the step that trains.
#pragma once
#include <torch/torch.h>

#if TORCH_VERSION_MAJOR >= 2
#include <ATen/autocast_mode.h>
#endif

namespace cast::models {

struct AutocastGuard {
  bool on = false;
  explicit AutocastGuard(bool enable) : on(enable) {
#if TORCH_VERSION_MAJOR >= 2
    if (!on) return;
#if TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 4
    at::autocast::set_autocast_enabled(at::kCUDA, true);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
#else
    at::autocast::set_enabled(true);
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
#endif
#else
    on = false;
#endif
  }
  ~AutocastGuard() {
#if TORCH_VERSION_MAJOR >= 2
    if (!on) return;
#if TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 4
    at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
    at::autocast::set_enabled(false);
#endif
    at::autocast::clear_cache();
#endif
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;
};

}  // namespace cast::models
