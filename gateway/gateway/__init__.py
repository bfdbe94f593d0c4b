"""The HTTP gateway: the one door to the platform for web front ends and enterprise systems."""
