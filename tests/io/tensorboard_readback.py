raise SystemExit("placeholder: not written yet")
