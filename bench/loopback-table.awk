#!/usr/bin/awk -f
# loopback-table.awk -v order="VARIANT ..." RESULTS: loopback.sh's tables,
# from its results, one line per run: ROUND VARIANT REQUESTS/S CPU-µs/REQUEST
# SPANS/REQUEST BYTES/SPAN.
function median(list,   xs, m, a, b, t) {
  m = split(substr(list, 2), xs, " ")
  for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (xs[b] + 0 < xs[a] + 0) { t = xs[a]; xs[a] = xs[b]; xs[b] = t }
  return (m % 2) ? xs[(m + 1) / 2] : (xs[m / 2] + xs[m / 2 + 1]) / 2
}
{
  rps[$2] = rps[$2] " " $3; cpu[$2] = cpu[$2] " " $4; spans[$2] = spans[$2] " " $5; bytes[$2] = bytes[$2] " " ($6 == "" ? 0 : $6)
  R1[$1, $2] = $3; C1[$1, $2] = $4; rounds[$1] = 1
}
END {
  n = split(order, names, " ")
  # Beside the ratio of the medians to bare's, the medians of the ratios
  # within a round: of requests/s, and of bare's CPU per request to the
  # variant's (the requests/s a server bound by its core would serve).
  print "| variant | requests/s | ratio to bare | same round | server CPU µs/request | bare's ÷ it, same round | spans exported/request | bytes/span at the sink |"
  print "| --- | --- | --- | --- | --- | --- | --- | --- |"
  for (i = 1; i <= n; i++) { v = names[i]; R[v] = median(rps[v]); C[v] = median(cpu[v]); S[v] = median(spans[v]); B[v] = median(bytes[v]) }
  for (i = 1; i <= n; i++) {
    v = names[i]; br = bc = ""
    for (r in rounds) if ((r, v) in R1 && (r, "bare") in R1 && R1[r, "bare"] > 0 && C1[r, v] > 0) {
      br = br " " R1[r, v] / R1[r, "bare"]; bc = bc " " C1[r, "bare"] / C1[r, v]
    }
    printf "| %s | %.0f | %.2f | %s | %.2f | %s | %.2f | %s |\n", v, R[v], R[v] / R["bare"], br == "" ? "–" : sprintf("%.2f", median(br)),
      C[v], bc == "" ? "–" : sprintf("%.2f", median(bc)), S[v], (B[v] > 0 ? sprintf("%.0f", B[v]) : "–")
  }
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
    if (p ~ /^gostdlib-otel/) { sfx = substr(p, 14); peers[1] = "otelhttp" sfx; peers[2] = "otelhttp-backend" sfx; np = 2 }
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
