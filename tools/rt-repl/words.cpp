// Splitting a command line into words, the way sh quotes (and nothing else:
// no variables, globs or substitutions).
#include "repl.hpp"

namespace rt::repl {

Split split_words(std::string_view line) {
  Split s;
  std::string word;
  bool have = false;  // a word is being built (maybe empty: '')
  enum { plain, single, dbl } mode = plain;
  auto finish = [&] {
    if (have) s.words.push_back(word);
    word.clear();
    have = false;
  };
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (mode == single) {
      if (c == '\'') mode = plain;
      else word.push_back(c);
      continue;
    }
    if (mode == dbl) {
      if (c == '"') {
        mode = plain;
      } else if (c == '\\' && i + 1 < line.size() &&
                 std::string_view("$`\"\\\n").find(line[i + 1]) != std::string_view::npos) {
        if (line[i + 1] != '\n') word.push_back(line[i + 1]);
        ++i;
      } else if (c == '\\' && i + 1 == line.size()) {
        s.incomplete = true;
      } else {
        word.push_back(c);
      }
      continue;
    }
    switch (c) {
      case ' ':
      case '\t':
      case '\n':
      case '\r': finish(); break;
      case '#':
        if (!have) {  // a comment: to the end of the line
          size_t nl = line.find('\n', i);
          if (nl == std::string_view::npos) {
            s.last_start = line.size();
            s.in_word = false;
            return s;
          }
          i = nl;
          break;
        }
        word.push_back(c);
        break;
      case '\\':
        if (!have) s.last_start = i;
        have = true;
        if (i + 1 == line.size()) {
          s.incomplete = true;
        } else {
          if (line[i + 1] != '\n') word.push_back(line[i + 1]);
          ++i;
        }
        break;
      case '\'':
      case '"':
        if (!have) s.last_start = i;
        have = true;
        mode = c == '\'' ? single : dbl;
        break;
      default:
        if (!have) s.last_start = i;
        have = true;
        word.push_back(c);
    }
  }
  if (mode != plain) s.incomplete = true;
  s.in_word = have;
  if (!have) s.last_start = line.size();
  finish();
  return s;
}

}  // namespace rt::repl
