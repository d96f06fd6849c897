"""Role mapping for end credits: a credit line's role text ("촬영감독", "DOP", "촬 영") → an EBU RoleCodeCS
code.

The credit stage calls::

    mapper = load_role_mapper(settings)            # once per process; cached
    for mapping in mapper.map(role_texts):         # one RoleMapping per text, in order
        match = mapping.best     # RoleMatch(code, label, department, score, label_ko, matched)
        ...                      # None when the text is not a known role (mapping.unknown)
"""

from vidsearch.credits.roles.mapper import RoleMapper, RoleMapping, RoleMatch
from vidsearch.credits.roles.recipe import load_role_mapper
from vidsearch.credits.roles.taxonomy import RoleTaxonomy, TaxonomyError, load_taxonomy

__all__ = ["RoleMapper", "RoleMapping", "RoleMatch", "RoleTaxonomy", "TaxonomyError", "load_role_mapper",
           "load_taxonomy"]
