"""What only development needs, in one place: the demo world `make run` loads (`seed_demo`, `demo_logins`,
`demo_totp`) and the benchmarks of `make bench` (`bench_scheduling`, `bench_earnings`). It sits above every
app and may import any of them; no app imports it."""
