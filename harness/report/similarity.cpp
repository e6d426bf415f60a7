#include "report/similarity.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"

namespace cast {

std::vector<double> pairwise_one_minus_cos(const std::vector<std::vector<double>>& rows) {
  std::vector<double> norm(rows.size(), 0.0);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (double x : rows[i]) norm[i] += x * x;
    norm[i] = std::sqrt(norm[i]);
  }
  std::vector<double> out;
  out.reserve(rows.size() * (rows.size() - (rows.empty() ? 0 : 1)) / 2);
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = i + 1; j < rows.size(); ++j) {
      double c = 0;
      const std::size_t n = std::min(rows[i].size(), rows[j].size());
      for (std::size_t t = 0; t < n; ++t) c += rows[i][t] * rows[j][t];
      c = norm[i] > 0 && norm[j] > 0 ? c / (norm[i] * norm[j]) : 0.0;
      out.push_back(std::clamp(1.0 - c, 0.0, 2.0));
    }
  return out;
}

LogBins shared_log_bins(const std::vector<const std::vector<double>*>& sets, int bins, double floor) {
  if (bins < 1) fail("a histogram needs at least one bin (got ", bins, ")");
  double lo = 2, hi = 0;
  for (const auto* s : sets)
    for (double x : *s) {
      if (x > 0) lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  if (hi <= 0) {  // nothing, or every pair identical: one decade below the floor's
    lo = floor;
    hi = floor * 10;
  }
  lo = std::max(floor, std::pow(10.0, std::floor(std::log10(std::min(lo, hi)))));
  hi = std::min(2.0, std::pow(10.0, std::ceil(std::log10(hi))));
  if (hi <= lo) hi = lo * 10;
  LogBins b;
  const double a = std::log10(lo), z = std::log10(hi);
  for (int k = 0; k <= bins; ++k) b.edges.push_back(std::pow(10.0, a + (z - a) * k / bins));
  b.edges.front() = lo;
  b.edges.back() = hi;
  return b;
}

namespace {
// The bin holding x: below the first edge in the first, above the last in the last.
std::size_t bin_of(const LogBins& b, double x) {
  auto it = std::upper_bound(b.edges.begin(), b.edges.end(), x);
  const std::size_t k = it == b.edges.begin() ? 0 : static_cast<std::size_t>(it - b.edges.begin()) - 1;
  return std::min(k, b.edges.size() - 2);
}
}  // namespace

std::vector<double> histogram(const std::vector<double>& values, const LogBins& b) {
  std::vector<double> count(b.edges.size() - 1, 0.0);
  for (double x : values) count[bin_of(b, x)] += 1;
  return count;
}

namespace {
constexpr int kCells = 4000;
constexpr double kLo = -12.0, kHi = 0.30102999566398120;  // log10(1e-12), log10(2)
}  // namespace

FineLogHistogram::FineLogHistogram() : cells_(kCells, 0.0) {}

void FineLogHistogram::add(double x) {
  n_ += 1;
  if (!(x > 0)) {
    zero_ += 1;
    return;
  }
  if (min_pos_ == 0 || x < min_pos_) min_pos_ = x;
  max_ = std::max(max_, x);
  const double f = (std::log10(x) - kLo) / (kHi - kLo) * kCells;
  cells_[static_cast<std::size_t>(std::clamp(f, 0.0, kCells - 1.0))] += 1;
}

std::vector<double> FineLogHistogram::extremes() const {
  std::vector<double> e;
  if (n_ == 0) return e;
  if (zero_ > 0) e.push_back(0);
  if (min_pos_ > 0) e.push_back(min_pos_);
  if (max_ > 0) e.push_back(max_);
  return e;
}

std::vector<double> FineLogHistogram::rebin(const LogBins& b) const {
  std::vector<double> out(b.edges.size() - 1, 0.0);
  out[0] += zero_;
  for (int k = 0; k < kCells; ++k) {
    if (cells_[static_cast<std::size_t>(k)] == 0) continue;
    const double centre = std::pow(10.0, kLo + (kHi - kLo) * (k + 0.5) / kCells);
    out[bin_of(b, centre)] += cells_[static_cast<std::size_t>(k)];
  }
  return out;
}

}  // namespace cast
