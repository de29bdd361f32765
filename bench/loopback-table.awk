#!/usr/bin/awk -f
# loopback-table.awk -v order="VARIANT ..." RESULTS: loopback.sh's tables,
# from its results, one line per run: ROUND VARIANT REQUESTS/S CPU-µs/REQUEST
# SPANS/REQUEST.
function median(list,   xs, m, a, b, t) {
  m = split(substr(list, 2), xs, " ")
  for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (xs[b] + 0 < xs[a] + 0) { t = xs[a]; xs[a] = xs[b]; xs[b] = t }
  return (m % 2) ? xs[(m + 1) / 2] : (xs[m / 2] + xs[m / 2 + 1]) / 2
}
{
  rps[$2] = rps[$2] " " $3; cpu[$2] = cpu[$2] " " $4; spans[$2] = spans[$2] " " $5
  R1[$1, $2] = $3; C1[$1, $2] = $4; rounds[$1] = 1
}
END {
  n = split(order, names, " ")
  print "| variant | requests/s | ratio to bare | server CPU µs/request | spans exported/request |"
  print "| --- | --- | --- | --- | --- |"
  for (i = 1; i <= n; i++) { v = names[i]; R[v] = median(rps[v]); C[v] = median(cpu[v]); S[v] = median(spans[v]) }
  for (i = 1; i <= n; i++) { v = names[i]; printf "| %s | %.0f | %.2f | %.2f | %.2f |\n", v, R[v], R[v] / R["bare"], C[v], S[v] }
  print ""
  print "Each traceplug variant beside its peer: medians of the ratios within a round."
  print ""
  print "| traceplug variant | peer | requests/s ratio | CPU/request ratio | CPU over bare's, ratio |"
  print "| --- | --- | --- | --- | --- |"
  for (i = 1; i <= n; i++) {
    v = names[i]
    if (v !~ /^(base:)?traceplug-/) continue
    p = v; sub(/^base:/, "", p); sub(/^traceplug-/, "gostdlib-", p)
    np = 1; peers[1] = p
    # otel's peers: otelhttp on the stock SDK pipeline, and on the backend's.
    if (p == "gostdlib-otel") { peers[1] = "otelhttp"; peers[2] = "otelhttp-backend"; np = 2 }
    for (k = 1; k <= np; k++) {
      p = peers[k]
      if (!(p in R)) continue
      rr = cr = or = ""
      for (r in rounds) {
        if (!((r, v) in C1) || !((r, p) in C1)) continue
        rr = rr " " R1[r, v] / R1[r, p]; cr = cr " " C1[r, v] / C1[r, p]
        if ((r, "bare") in C1 && C1[r, p] > C1[r, "bare"]) or = or " " (C1[r, v] - C1[r, "bare"]) / (C1[r, p] - C1[r, "bare"])
      }
      printf "| %s | %s | %.2f | %.2f | %s |\n", v, p, median(rr), median(cr), or == "" ? "–" : sprintf("%.2f", median(or))
    }
  }
}
