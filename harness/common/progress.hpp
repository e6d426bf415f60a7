// Progress for long work: count, rate and ETA on a terminal (one redrawn line on stderr),
// plain log lines every few seconds otherwise. Thread-safe add(); draw from one thread.
#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace cast {

class Progress {
 public:
  Progress(std::string label, std::size_t total, bool enabled = true);
  ~Progress();
  void add(std::size_t n = 1) { done_.fetch_add(n, std::memory_order_relaxed); }
  void set(std::size_t n) { done_.store(n, std::memory_order_relaxed); }
  void set_total(std::size_t n) { total_ = n; }
  // Shown after the ETA (e.g. "loss 0.123  lr 4.1e-04"); call from the owning thread.
  void set_note(std::string note) { note_ = std::move(note); }
  // Redraws if enough time has passed (call from the owning thread).
  void draw(bool force = false);
  void finish();
  std::size_t done() const { return done_.load(std::memory_order_relaxed); }
  double elapsed_s() const;

 private:
  std::string label_, note_;
  std::size_t total_;
  bool enabled_, tty_, finished_ = false;
  std::atomic<std::size_t> done_{0};
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// Runs fn(i) for i in [0, n) on `threads` threads (0 = hardware), with progress drawn by the
// calling thread. The first exception thrown by fn is rethrown after all threads stop.
void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& fn,
                  Progress* progress = nullptr);

}  // namespace cast
