<?xml version="1.0" encoding="UTF-8"?>
<!--
  Browser preview of feed.atom and feed.rss: a feed opened in a browser becomes a readable
  page instead of raw XML. Feed readers ignore the xml-stylesheet instruction.
  XSLT 1.0 only (what browsers implement). Entry HTML is shown as text summaries, never
  with disable-output-escaping, so no markup from a feed can run in the preview page.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    exclude-result-prefixes="atom dc">

  <xsl:output method="html" encoding="UTF-8" indent="yes"
      doctype-system="about:legacy-compat"/>

  <xsl:template match="/">
    <html>
      <xsl:attribute name="lang">
        <xsl:value-of select="(atom:feed/@xml:lang | rss/channel/language)[1]"/>
      </xsl:attribute>
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="(atom:feed/atom:title | rss/channel/title)[1]"/> (feed)</title>
        <style>
          body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto;
                 padding: 0 1rem; color: #222; background: #fff; }
          .note { background: #eef4fb; border: 1px solid #c9dcf0; padding: .75rem 1rem;
                  border-radius: 4px; }
          code { font-size: .9em; word-break: break-all; }
          article { border-top: 1px solid #ddd; padding: 1rem 0; }
          article h2 { font-size: 1.2rem; margin: 0 0 .25rem; }
          .meta { color: #666; font-size: .875rem; margin: 0 0 .5rem; }
          .tags { color: #666; font-size: .875rem; }
        </style>
      </head>
      <body>
        <xsl:apply-templates select="atom:feed | rss/channel"/>
      </body>
    </html>
  </xsl:template>

  <!-- Atom -->
  <xsl:template match="atom:feed">
    <header>
      <p class="note">This is a web feed. Copy its address into your feed reader to
        subscribe: <code><xsl:value-of select="atom:link[@rel='self']/@href"/></code></p>
      <h1><xsl:value-of select="atom:title"/></h1>
      <p><xsl:value-of select="atom:subtitle"/></p>
      <p><a href="{atom:link[@rel='alternate']/@href}">Visit the site</a></p>
    </header>
    <main>
      <xsl:for-each select="atom:entry">
        <article>
          <h2><a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h2>
          <p class="meta">
            <!-- The publication date, as RSS's pubDate: updated moves with every edit. -->
            <time datetime="{atom:published}"><xsl:value-of select="substring(atom:published, 1, 10)"/></time>
            <xsl:if test="atom:author/atom:name">
              <xsl:text> · </xsl:text><xsl:value-of select="atom:author/atom:name"/>
            </xsl:if>
          </p>
          <p><xsl:value-of select="atom:summary"/></p>
          <xsl:if test="atom:category">
            <p class="tags">
              <xsl:for-each select="atom:category">
                <xsl:if test="position() &gt; 1">, </xsl:if>
                <xsl:value-of select="@term"/>
              </xsl:for-each>
            </p>
          </xsl:if>
        </article>
      </xsl:for-each>
    </main>
  </xsl:template>

  <!-- RSS 2.0 -->
  <xsl:template match="channel">
    <header>
      <p class="note">This is a web feed. Copy its address into your feed reader to
        subscribe: <code><xsl:value-of select="atom:link[@rel='self']/@href"/></code></p>
      <h1><xsl:value-of select="title"/></h1>
      <p><xsl:value-of select="description"/></p>
      <p><a href="{link}">Visit the site</a></p>
    </header>
    <main>
      <xsl:for-each select="item">
        <article>
          <h2><a href="{link}"><xsl:value-of select="title"/></a></h2>
          <p class="meta">
            <xsl:value-of select="pubDate"/>
            <xsl:if test="dc:creator">
              <xsl:text> · </xsl:text><xsl:value-of select="dc:creator"/>
            </xsl:if>
          </p>
          <xsl:if test="category">
            <p class="tags">
              <xsl:for-each select="category">
                <xsl:if test="position() &gt; 1">, </xsl:if>
                <xsl:value-of select="."/>
              </xsl:for-each>
            </p>
          </xsl:if>
        </article>
      </xsl:for-each>
    </main>
  </xsl:template>
</xsl:stylesheet>
