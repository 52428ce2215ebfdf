# Condenses a build's output to a few progress lines (the Makefile pipes CMake's and the
# extension's builds through it): one line each time another tenth of the work is done, naming
# the last file, and a closing count. Anything that is not a progress line (a compiler's warning
# or error) passes through unchanged, at once.
#   awk -v label=build -f scripts/build-progress.awk      CMake's "[ 42%] Building CXX object"
#   awk -v label=extension -v total=N -f ...               PGXS's compiler command lines, N files
# Progress is percent in CMake's lines; for the extension it is counted against total.

function show(percent, what) {
  if (int(percent / 10) > int(shown / 10) || (percent == 100 && shown < 100)) {
    printf "%s %3d%%  %s\n", label, percent, what
    fflush()
    shown = percent
  }
}

BEGIN { shown = -1; steps = 0 }

# CMake's noise: nothing to show.
/Built target |^-- |Consolidate compiler generated|Scanning dependencies|Nothing to be done/ { next }
/^make(\[[0-9]+\])?: (Entering|Leaving) directory/ { next }

# CMake: "[ 42%] Building CXX object agent/CMakeFiles/x.dir/peer_network.cpp.o", "Linking ...".
/^\[ *[0-9]+%\] / {
  percent = $0
  sub(/^\[ */, "", percent)
  sub(/%\].*/, "", percent)
  what = $0
  sub(/^\[ *[0-9]+%\] /, "", what)
  if (what ~ /^Building CXX object /) {
    sub(/^Building CXX object /, "", what)
    sub(/CMakeFiles\/[^\/]+\.dir\//, "", what)
    sub(/\.o$/, "", what)
  } else if (what ~ /^Linking CXX /) {
    sub(/^Linking CXX (static library|shared library|executable) /, "linking ", what)
  }
  steps++
  show(percent + 0, what)
  next
}

# PGXS: "g++ ... -c -o src/x.o src/x.cpp" and the link of mycelium.so.
/^(g\+\+|gcc|c\+\+|cc|clang\+\+|clang) .* -c -o / {
  steps++
  what = $NF
  show(total > 0 ? int(100 * steps / (total + 1)) : 0, what)
  next
}
/^(g\+\+|gcc|c\+\+|cc|clang\+\+|clang) .* -o [^ ]+\.so / {
  steps++
  show(100, "linking mycelium.so")
  next
}

{ print; fflush() }

END {
  if (steps > 0 && label == "build")
    printf "%s done   %d steps\n", label, steps
}
