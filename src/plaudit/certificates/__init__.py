"""PDF certificates: a layout per template, rendered with Typst, the credential attached."""
