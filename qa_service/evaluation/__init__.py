"""Answer-quality evaluation: SQuAD-format data in, a fresh index, every question asked, metrics."""
