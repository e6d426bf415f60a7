// Compares our descriptions with reference ones (e.g. the texts the Materials Project serves)
// fact by fact, from the text alone: formula and space-group clause, crystal system,
// coordination numbers, geometry and polyhedron names, connectivity words, bond lengths,
// tilt angles and the number of inequivalent sites per element.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace cast::text {

struct DescriptionFacts {
  std::string formula, mineral, crystal_system, spacegroup;
  std::string dimensionality;  // "zero" .. "two"; "three" when the text does not say
  std::map<std::string, std::vector<int>> coordination;        // element -> CN per site
  std::map<std::string, std::vector<std::string>> shapes;      // element -> geometry/polyhedron per site
  std::map<std::string, std::vector<std::string>> connectivity;// element -> sorted words per site
  std::vector<double> bond_lengths, tilt_angles;
  std::map<std::string, int> inequivalent_sites;               // element -> count
};

DescriptionFacts extract_facts(const std::string& text);

struct FactScores {
  // matched / total for each fact kind, over all compared texts
  std::map<std::string, std::pair<double, double>> counts;
  void add(const DescriptionFacts& ours, const DescriptionFacts& ref);
  double rate(const std::string& k) const;
};

// Word-for-word comparison with the reference texts: the share of texts identical to them and
// the share of reference sentences found verbatim in ours (each of our sentences matched once),
// per sentence kind (sentence_kind).
std::vector<std::string> split_sentences(const std::string& text);
std::string sentence_kind(const std::string& sentence);

struct TextScores {
  std::size_t texts = 0, identical = 0;
  std::map<std::string, std::pair<std::size_t, std::size_t>> sentences;  // kind -> (verbatim, reference total)
  // Adds one pair; returns the first reference sentence that differs from ours at the same
  // position with ours there ("" when the texts are identical).
  std::pair<std::string, std::string> add(const std::string& ours, const std::string& ref);
  double identical_rate() const { return texts ? static_cast<double>(identical) / static_cast<double>(texts) : 0.0; }
  double verbatim_rate() const;
};

}  // namespace cast::text
