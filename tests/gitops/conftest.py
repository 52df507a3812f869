from tests.gitops.world import world

__all__ = ["world"]
