#include "text/description_check.hpp"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

namespace cast::text {

namespace {

// Undo the Materials Project's Unicode: subscripts/superscripts to ASCII, en dash to hyphen,
// combining overline to '-' before the digit ("P̅3" -> "P-3").
std::string plain(const std::string& s) {
  static const std::vector<std::pair<std::string, std::string>> rep = {
      {"₀", "0"}, {"₁", "1"}, {"₂", "2"}, {"₃", "3"}, {"₄", "4"}, {"₅", "5"}, {"₆", "6"}, {"₇", "7"}, {"₈", "8"},
      {"₉", "9"}, {"⁰", "0"}, {"¹", "1"}, {"²", "2"}, {"³", "3"}, {"⁴", "4"}, {"⁵", "5"}, {"⁶", "6"}, {"⁷", "7"},
      {"⁸", "8"}, {"⁹", "9"}, {"⁺", "+"}, {"⁻", "-"}, {"–", "-"}, {"\u0305", "\x01"}};
  std::string out = s;
  for (const auto& [a, b] : rep) {
    std::size_t p = 0;
    while ((p = out.find(a, p)) != std::string::npos) { out.replace(p, a.size(), b); p += b.size(); }
  }
  // "P\x013" (overline on P) -> "P-3"
  std::string fixed;
  for (char c : out) {
    if (c == '\x01') fixed += '-';
    else fixed += c;
  }
  return fixed;
}

int word_number(const std::string& w) {
  static const std::map<std::string, int> m = {
      {"a", 1}, {"an", 1}, {"one", 1}, {"two", 2}, {"three", 3}, {"four", 4}, {"five", 5}, {"six", 6}, {"seven", 7},
      {"eight", 8}, {"nine", 9}, {"ten", 10}, {"eleven", 11}, {"twelve", 12}, {"thirteen", 13}, {"fourteen", 14},
      {"fifteen", 15}, {"sixteen", 16}, {"seventeen", 17}, {"eighteen", 18}, {"nineteen", 19}, {"twenty", 20}};
  auto it = m.find(w);
  if (it != m.end()) return it->second;
  auto dash = w.find('-');
  if (dash != std::string::npos) {
    static const std::map<std::string, int> tens = {{"twenty", 20}, {"thirty", 30}, {"forty", 40}};
    auto t = tens.find(w.substr(0, dash));
    auto o = m.find(w.substr(dash + 1));
    if (t != tens.end() && o != m.end()) return t->second + o->second;
  }
  return 0;
}

std::string element_of(const std::string& token) {  // "Li(1)1+" / "Li+" / "Li" -> "Li"
  std::string e;
  for (char c : token) {
    if (std::isalpha(static_cast<unsigned char>(c)) && (e.empty() ? std::isupper(static_cast<unsigned char>(c)) : std::islower(static_cast<unsigned char>(c)))) e += c;
    else break;
  }
  return e;
}

}  // namespace

DescriptionFacts extract_facts(const std::string& text0) {
  const std::string text = plain(text0);
  DescriptionFacts f;
  static const std::regex head(R"(^(\S+) (?:is (.*?) structured and )?crystallizes in the (\w+) (\S+) space group)");
  std::smatch m;
  if (std::regex_search(text, m, head)) {
    f.formula = m[1];
    f.mineral = m[2].matched ? std::string(m[2]) : "";
    f.crystal_system = m[3];
    f.spacegroup = m[4];
    // "P2_1/c" (robocrys) and "P2₁/c" (the Materials Project) are the same symbol.
    f.spacegroup.erase(std::remove(f.spacegroup.begin(), f.spacegroup.end(), '_'), f.spacegroup.end());
  }
  static const std::regex dimension(R"(The structure is (\w+)-dimensional)");
  std::smatch dm;
  f.dimensionality = std::regex_search(text, dm, dimension) ? std::string(dm[1]) : "three";
  // Split into sentences on ". " (decimals have no space after the point).
  std::vector<std::string> sentences;
  std::size_t start = 0;
  for (;;) {
    std::size_t p = text.find(". ", start);
    std::string sentence = text.substr(start, p == std::string::npos ? std::string::npos : p - start);
    if (!sentence.empty() && sentence.back() == '.') sentence.pop_back();
    sentences.push_back(sentence);
    if (p == std::string::npos) break;
    start = p + 2;
  }
  static const std::regex ineq(R"(There are (\S+) inequivalent (\S+) sites)");
  static const std::regex site(R"((?:In the \S+ \S+ site, )?(\S+) is bonded (?:in (?:a|an) (distorted )?(.*?) geometry to|to) (.*?) atoms?(?: to form (?:distorted )?(?:a mixture of )?(.*))?$)");
  static const std::regex count_word(R"((?:^|, | and |, and )(\S+) (?:equivalent )?\S+)");
  static const std::regex poly(R"(^(?:(?:\w+ and )?(?:corner|edge|face)-sharing )?\S+ (.*?)(?: that share (.*))?$)");
  static const std::regex number_unit(R"((\d+\.\d+)(?:-(\d+\.\d+))? Å)");
  static const std::regex tilt(R"(tilt angles (?:are|range from) (\d+)(?:-(\d+))?°)");
  std::set<std::string> multi;
  for (const auto& s : sentences) {
    if (std::regex_search(s, m, ineq)) {
      f.inequivalent_sites[element_of(m[2])] = word_number(m[1]);
      multi.insert(element_of(m[2]));
      continue;
    }
    if (std::regex_search(s, m, tilt)) {
      f.tilt_angles.push_back(std::stod(m[1]));
      if (m[2].matched) f.tilt_angles.push_back(std::stod(m[2]));
      continue;
    }
    if (s.find(" bond length") != std::string::npos || s.find(" bond distances") != std::string::npos) {
      for (auto it = std::sregex_iterator(s.begin(), s.end(), number_unit); it != std::sregex_iterator(); ++it) {
        f.bond_lengths.push_back(std::stod((*it)[1]));
        if ((*it)[2].matched) f.bond_lengths.push_back(std::stod((*it)[2]));
      }
      continue;
    }
    if (std::regex_search(s, m, site)) {
      const std::string el = element_of(m[1]);
      const std::string list = m[4];
      int cn = 0;
      std::size_t p = 0;
      // Counts: number words at the start of each listed group.
      std::string l = list;
      for (const std::string sep : {", and ", " and ", ", "}) {
        while ((p = l.find(sep)) != std::string::npos) l.replace(p, sep.size(), "|");
      }
      std::size_t a = 0;
      for (;;) {
        std::size_t b = l.find('|', a);
        std::string part = l.substr(a, b == std::string::npos ? std::string::npos : b - a);
        cn += word_number(part.substr(0, part.find(' ')));
        if (b == std::string::npos) break;
        a = b + 1;
      }
      f.coordination[el].push_back(cn);
      std::string shape = m[3].matched && m[3].length() ? std::string(m[3]) : "";
      std::vector<std::string> words;
      if (m[5].matched) {
        std::string rest = m[5];
        std::smatch pm;
        if (std::regex_search(rest, pm, poly)) shape = pm[1];
        for (const char* w : {"corner", "edge", "face"})
          if (rest.find(w) != std::string::npos) words.push_back(w);
      }
      f.shapes[el].push_back(shape);
      f.connectivity[el].push_back([&] { std::string j; for (auto& w : words) j += w + " "; return j; }());
    }
  }
  for (const auto& [el, v] : f.coordination)
    if (!f.inequivalent_sites.count(el)) f.inequivalent_sites[el] = static_cast<int>(v.size());
  return f;
}

namespace {
template <typename T>
std::pair<double, double> multiset_match(std::vector<T> a, std::vector<T> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::vector<T> common;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common));
  return {static_cast<double>(common.size()), static_cast<double>(b.size())};
}
std::pair<double, double> numbers_match(std::vector<double> ours, const std::vector<double>& ref, double tol) {
  double hit = 0;
  for (double r : ref) {
    auto it = std::find_if(ours.begin(), ours.end(), [&](double x) { return std::fabs(x - r) <= tol + 1e-9; });
    if (it != ours.end()) { ++hit; ours.erase(it); }
  }
  return {hit, static_cast<double>(ref.size())};
}
}  // namespace

void FactScores::add(const DescriptionFacts& ours, const DescriptionFacts& ref) {
  auto bump = [&](const std::string& k, std::pair<double, double> v) {
    counts[k].first += v.first;
    counts[k].second += v.second;
  };
  bump("formula", {ours.formula == ref.formula, 1});
  bump("crystal system", {ours.crystal_system == ref.crystal_system, 1});
  bump("dimensionality", {ours.dimensionality == ref.dimensionality, 1});
  // The mineral clause ("is Fluorite structured"), its absence included; and how often a served
  // mineral is given the same.
  bump("mineral clause", {ours.mineral == ref.mineral, 1});
  if (!ref.mineral.empty()) bump("served mineral, same name", {ours.mineral == ref.mineral, 1});
  // "crystallizes in the <system> <symbol> space group": the formula is scored on its own above.
  bump("space-group clause", {ours.spacegroup == ref.spacegroup && ours.crystal_system == ref.crystal_system, 1});
  for (const auto& [el, v] : ref.coordination) {
    auto it = ours.coordination.find(el);
    bump("coordination numbers", it == ours.coordination.end() ? std::make_pair(0.0, double(v.size())) : multiset_match(it->second, v));
  }
  for (const auto& [el, v] : ref.shapes) {
    auto it = ours.shapes.find(el);
    bump("geometry/polyhedron names", it == ours.shapes.end() ? std::make_pair(0.0, double(v.size())) : multiset_match(it->second, v));
  }
  for (const auto& [el, v] : ref.connectivity) {
    auto it = ours.connectivity.find(el);
    bump("connectivity words", it == ours.connectivity.end() ? std::make_pair(0.0, double(v.size())) : multiset_match(it->second, v));
  }
  bump("bond lengths (0.01 A)", numbers_match(ours.bond_lengths, ref.bond_lengths, 0.01));
  bump("tilt angles (1 deg)", numbers_match(ours.tilt_angles, ref.tilt_angles, 1.0));
  for (const auto& [el, n] : ref.inequivalent_sites) {
    auto it = ours.inequivalent_sites.find(el);
    bump("inequivalent sites", {it != ours.inequivalent_sites.end() && it->second == n, 1});
  }
}

double FactScores::rate(const std::string& k) const {
  auto it = counts.find(k);
  return it == counts.end() || it->second.second == 0 ? 0.0 : it->second.first / it->second.second;
}

std::vector<std::string> split_sentences(const std::string& text) {
  // A sentence ends at ". " before a capital letter ("In the first ..., Li is ..." stays one);
  // decimals ("1.95") have no space after the point.
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t p = text.find(". "); p != std::string::npos; p = text.find(". ", p + 1)) {
    if (p + 2 < text.size() && std::isupper(static_cast<unsigned char>(text[p + 2]))) {
      out.push_back(text.substr(start, p + 1 - start));
      start = p + 2;
    }
  }
  if (start < text.size()) out.push_back(text.substr(start));
  return out;
}

std::string sentence_kind(const std::string& s) {
  auto has = [&](const char* w) { return s.find(w) != std::string::npos; };
  if (has("crystallizes in")) return "formula and space group";
  if (s.rfind("The structure ", 0) == 0) return "components";
  if (s.rfind("There are ", 0) == 0 && has(" inequivalent ")) return "inequivalent sites";
  if (has("tilt angles") || has("not tilted")) return "tilts";
  if (has(" bond length") || has(" bond distances")) return "bond lengths";
  if (has(" to form ")) return "polyhedral site";
  if (has(" geometry to ")) return "site geometry";
  return "other";
}

std::pair<std::string, std::string> TextScores::add(const std::string& ours, const std::string& ref) {
  ++texts;
  if (ours == ref) {
    ++identical;
  }
  const auto o = split_sentences(ours), r = split_sentences(ref);
  std::map<std::string, int> pool;
  for (const auto& x : o) ++pool[x];
  for (const auto& x : r) {
    auto& k = sentences[sentence_kind(x)];
    ++k.second;
    auto it = pool.find(x);
    if (it != pool.end() && it->second > 0) {
      --it->second;
      ++k.first;
    }
  }
  if (ours == ref) return {};
  for (std::size_t i = 0; i < std::max(o.size(), r.size()); ++i) {
    const std::string a = i < r.size() ? r[i] : "", b = i < o.size() ? o[i] : "";
    if (a != b) return {a, b};
  }
  return {ref, ours};
}

double TextScores::verbatim_rate() const {
  double hit = 0, total = 0;
  for (const auto& [k, v] : sentences) {
    hit += static_cast<double>(v.first);
    total += static_cast<double>(v.second);
  }
  return total > 0 ? hit / total : 0.0;
}

}  // namespace cast::text
