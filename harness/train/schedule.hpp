// Learning-rate schedule of the paper (SPEC §0.2, §8): linear warm-up, then cosine with hard
// restarts (Hugging Face's get_cosine_with_hard_restarts_schedule_with_warmup), as a factor of
// the peak learning rate. One departure (DEVIATIONS 19): warm-up step s runs at (s + 1) / warmup,
// not s / warmup, so the very first optimiser step is not taken at learning rate 0 (with one batch
// an epoch, the first epoch would otherwise not train and its untrained weights could be "best").
#pragma once
#include <cmath>
#include <cstdint>

namespace cast {

struct WarmupCosineSchedule {
  std::int64_t warmup_steps = 1000;
  std::int64_t total_steps = 10000;
  int cycles = 4;

  double factor(std::int64_t step) const {
    if (step < warmup_steps)
      return static_cast<double>(step + 1) / static_cast<double>(std::max<std::int64_t>(1, warmup_steps));
    const double p = static_cast<double>(step - warmup_steps) /
                     static_cast<double>(std::max<std::int64_t>(1, total_steps - warmup_steps));
    if (p >= 1.0) return 0.0;
    const double x = std::fmod(static_cast<double>(cycles) * p, 1.0);
    return 0.5 * (1.0 + std::cos(M_PI * x));
  }
};

}  // namespace cast
