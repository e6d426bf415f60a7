// Figure 3's statistic: for every pair of nodes of a structure, 1 - cosine similarity of their
// attention rows (over tokens), binned on a log axis shared by every model and layer of the
// figure. The paper's Figure 3 is about the shape close to cos = 1: on a linear [0, 1] axis a
// model whose nodes attend alike puts everything in the last bin; on 1 - cos the shape shows.
#pragma once
#include <cstddef>
#include <vector>

namespace cast {

// 1 - cos of every pair of rows (i < j), in [0, 2]; rows of zeros count as orthogonal.
std::vector<double> pairwise_one_minus_cos(const std::vector<std::vector<double>>& rows);

struct LogBins {
  std::vector<double> edges;  // bins+1 increasing edges; values below edges[0] fall in bin 0
};
// Log-spaced edges that cover every value of every set: from the decade at or below the smallest
// positive value (at least floor, default 1e-9) to the decade at or above the largest (at most 2).
LogBins shared_log_bins(const std::vector<const std::vector<double>*>& sets, int bins, double floor = 1e-9);
// Counts of values per bin (below edges[0] in the first, above the last edge in the last).
std::vector<double> histogram(const std::vector<double>& values, const LogBins& b);

// Memory-bounded counting for a whole test set (millions of node pairs at paper size): values go
// into a fine log grid (1e-12 to 2, 4,000 cells, 0.003 decades each), which is summed into the
// figure's bins once their edges are known (a cell counts in the bin holding its centre).
class FineLogHistogram {
 public:
  FineLogHistogram();
  void add(double x);
  void add(const std::vector<double>& xs) { for (double x : xs) add(x); }
  double count() const { return n_; }
  // The smallest positive and the largest value added (as a set for shared_log_bins).
  std::vector<double> extremes() const;
  std::vector<double> rebin(const LogBins& b) const;

 private:
  std::vector<double> cells_;
  double zero_ = 0, n_ = 0, min_pos_ = 0, max_ = 0;
};

}  // namespace cast
