#include "crystal/elements.hpp"

#include <cctype>
#include <cmath>
#include <stdexcept>
#include <string>

namespace cast {

namespace {
const Element kTable[kNumElements] = {
#include "crystal/element_data.inc"
};
}  // namespace

const Element& element(int Z) {
  if (Z < 1 || Z > kNumElements) throw std::out_of_range("atomic number " + std::to_string(Z));
  return kTable[Z - 1];
}

int atomic_number(std::string_view s) {
  // Strip an oxidation-state decoration: "Fe2+", "O2-", "Li+".
  std::size_t n = 0;
  while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n]))) ++n;
  if (n == 0 || n > 3) return 0;
  for (std::size_t i = n; i < s.size(); ++i) {
    char c = s[i];
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'))
      return 0;
  }
  std::string sym(s.substr(0, n));
  sym[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(sym[0])));
  for (std::size_t i = 1; i < sym.size(); ++i)
    sym[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(sym[i])));
  for (const auto& e : kTable)
    if (sym == e.symbol) return e.Z;
  return 0;
}

bool is_noble_gas(int Z) {
  return Z == 2 || Z == 10 || Z == 18 || Z == 36 || Z == 54 || Z == 86 || Z == 118;
}

}  // namespace cast
