# Páginas de empresas (ui/companies.rs; las páginas están en ui/cards.rs).
companies-title = Empresas
companies-new = Nueva empresa
companies-edit = Editar empresa
companies-empty = Todavía no hay empresas. Crea la primera.
companies-delete-confirm = ¿Eliminar esta empresa? Desaparecerá de las listas, la búsqueda y la identificación de llamadas.
