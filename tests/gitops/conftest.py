from tests.gitops.world import deployed_workspace, world

__all__ = ["deployed_workspace", "world"]
