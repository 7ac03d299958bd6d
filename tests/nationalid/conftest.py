from tests.nationalid.standin import standin_factory

__all__ = ["standin_factory"]
