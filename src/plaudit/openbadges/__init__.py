"""Open Badges 3.0 / W3C VC 2.0: build, canonicalise, sign, verify. Pure: imports nothing else from plaudit."""  # noqa: E501
