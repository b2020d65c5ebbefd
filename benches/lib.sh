# Shared by the shell benches: `seconds CMD...` prints the wall time of one run of CMD (its
# output discarded; a failure ends the bench); `median N...` prints the median of numbers.
seconds() {
  local s e
  s=$(date +%s.%N)
  "$@" >/dev/null || { echo "failed: $*" >&2; exit 1; }
  e=$(date +%s.%N)
  echo "$e - $s" | bc
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
