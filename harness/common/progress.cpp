#include "common/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace cast {

Progress::Progress(std::string label, std::size_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled), tty_(::isatty(2) != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() {
  if (!finished_) finish();
}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

static std::string format_seconds(double s) {
  char buf[32];
  if (s < 0 || s > 1e7) return "?";
  int t = static_cast<int>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", t / 3600, (t / 60) % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%ds", t);
  return buf;
}

void Progress::draw(bool force) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_draw_).count();
  if (!force && since < (tty_ ? 0.2 : 5.0)) return;
  last_draw_ = now;
  std::size_t d = done();
  double el = elapsed_s();
  double rate = el > 0 ? d / el : 0.0;
  double eta = (rate > 0 && total_ >= d) ? (total_ - d) / rate : -1;
  if (tty_) {
    int width = 30;
    int fill = total_ ? static_cast<int>(width * static_cast<double>(d) / total_) : 0;
    std::string bar(static_cast<std::size_t>(fill), '#');
    bar.resize(static_cast<std::size_t>(width), '.');
    std::fprintf(stderr, "\r%s [%s] %zu/%zu  %.0f/s  ETA %s  %s   ", label_.c_str(), bar.c_str(), d,
                 total_, rate, format_seconds(eta).c_str(), note_.c_str());
  } else {
    std::fprintf(stderr, "%s: %zu/%zu  %.0f/s  ETA %s  %s\n", label_.c_str(), d, total_, rate,
                 format_seconds(eta).c_str(), note_.c_str());
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  double el = elapsed_s();
  std::size_t d = done();
  std::fprintf(stderr, "%s%s: %zu done in %.1f s (%.0f/s)\n", tty_ ? "\r\33[2K" : "",
               label_.c_str(), d, el, el > 0 ? d / el : 0.0);
}

void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& fn,
                  Progress* progress) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> finished{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::condition_variable done_cv;
  auto worker = [&] {
    for (;;) {
      std::size_t i = next.fetch_add(1);
      if (i >= n) break;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next.store(n);
      }
      if (progress) progress->add();
    }
    {
      std::lock_guard<std::mutex> lock(error_mutex);
      finished.fetch_add(1);
    }
    done_cv.notify_one();
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
  {
    std::unique_lock<std::mutex> lock(error_mutex);
    while (finished.load() < threads) {
      done_cv.wait_for(lock, std::chrono::milliseconds(100));
      if (progress) progress->draw();
    }
  }
  for (auto& th : pool) th.join();
  if (progress) progress->finish();
  if (error) std::rethrow_exception(error);
}

}  // namespace cast
