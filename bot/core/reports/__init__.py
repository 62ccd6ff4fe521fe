"""Figures from the timeline, the post-incident export, and the cross-crisis report."""
