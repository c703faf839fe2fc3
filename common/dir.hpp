// Directory listings: the plain walks, through Boost.Filesystem. A walk
// that must not follow a symbolic link or cross a mount on its way down
// (fs.cpp's remove_tree_at, rt-repl's du) stays fd-relative (openat with
// O_NOFOLLOW from the directory's own fd): a path-based walk could be sent
// elsewhere by a link swapped in between two steps.
#pragma once
#include <string>
#include <vector>

namespace rt {

// The names in directory `dir` (not "." and ".."), sorted; empty when it
// does not exist or cannot be read.
std::vector<std::string> dir_names(const std::string& dir);
// Of those, the directories (a symbolic link is not followed).
std::vector<std::string> subdir_names(const std::string& dir);

}  // namespace rt
